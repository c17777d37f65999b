"""Signing secrets at rest: encrypted with PARAMETER_KEYS, never stored as plaintext; key rotation
covers them; the migration encrypts the secrets that existed before, and can be reversed."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from licensing.services import licenses as license_services
from parameters import crypto
from tests.authtokens.test_no_plaintext import all_text_in_database
from tests.licensing.factories import LicenseFactory
from tests.webhooks.secrets import signing_secrets
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.tasks import webhook_deliveries_retry_due

URL = "https://93.184.216.34/hooks"
API = "webhooks_api:workspace-endpoint-list"


@pytest.mark.django_db
def test_no_table_holds_a_signing_secret(owner, client_for):
    shown = []
    created = client_for(owner).post(
        reverse(API, kwargs={"workspace_slug": "acme"}),
        {"url": URL, "event_types": ["license.created"]},
        format="json",
    )
    shown.append(created.json()["secret"])
    endpoint, secret = services.endpoint_create(actor=owner, url=URL, event_types=["license.created"])
    shown.append(secret)
    shown.append(services.endpoint_rotate_secret(actor=owner, endpoint=endpoint)[1])

    dump = all_text_in_database()
    assert URL in dump  # the dump does see the endpoints
    assert "whsec_" not in dump
    for secret in shown:
        assert secret.removeprefix("whsec_")[:20] not in dump
    assert signing_secrets(endpoint) == [shown[2], shown[1]]  # and they still open


@pytest.mark.django_db
def test_rotating_the_keys_covers_signing_secrets(
    task_worker, receiver, endpoint_for, owner, workspace, settings
):
    hook = receiver()
    endpoint = endpoint_for(hook, owner, ["license.updated"])
    stored = WebhookEndpoint.objects.values_list("secret_encrypted", flat=True).get(pk=endpoint.pk)
    new_key = Fernet.generate_key().decode()
    settings.PARAMETER_KEYS = [new_key, *settings.PARAMETER_KEYS]

    out = io.StringIO()
    call_command("rotate_parameter_keys", stdout=out)
    assert "the signing secrets of 1 webhook endpoint under" in out.getvalue()

    settings.PARAMETER_KEYS = [new_key]  # the old key is gone
    endpoint.refresh_from_db()
    assert endpoint.secret_encrypted != stored
    license_services.license_suspend(license=LicenseFactory(workspace=workspace))
    task_worker()
    assert hook.requests and hook.requests[0]["verified"]  # the receiver's secret is unchanged


@pytest.mark.django_db
def test_a_signing_secret_under_a_dropped_key_stops_the_rotation_and_nothing_changes(owner, settings):
    services.endpoint_create(actor=owner, url=URL, event_types=["license.created"])
    before = list(WebhookEndpoint.objects.values_list("secret_encrypted", flat=True))
    settings.PARAMETER_KEYS = [Fernet.generate_key().decode()]  # the old key was dropped too early

    with pytest.raises(CommandError, match="Nothing was changed.*PARAMETER_KEYS"):
        call_command("rotate_parameter_keys", stdout=io.StringIO())
    assert list(WebhookEndpoint.objects.values_list("secret_encrypted", flat=True)) == before


BEFORE = [("webhooks", "0002_endpoint_payload_format")]
AFTER = [("webhooks", "0003_endpoint_secrets_encrypted")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_secrets_and_reverses():
    try:
        old_apps = _migrate(BEFORE)
        old_model = old_apps.get_model("webhooks", "WebhookEndpoint")
        old_model.objects.create(
            url=URL, event_types=[], secret="whsec_current", previous_secret="whsec_prev"
        )

        _migrate(AFTER)
        endpoint = WebhookEndpoint.objects.get()
        assert "whsec_" not in endpoint.secret_encrypted + endpoint.previous_secret_encrypted
        assert signing_secrets(endpoint) == ["whsec_current"]  # no overlap was running: one signs
        assert crypto.decrypt(endpoint.previous_secret_encrypted) == "whsec_prev"

        reverted = _migrate(BEFORE).get_model("webhooks", "WebhookEndpoint").objects.get()
        assert (reverted.secret, reverted.previous_secret) == ("whsec_current", "whsec_prev")
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_a_secret_no_key_opens_leaves_the_delivery_pending_until_the_key_is_back(
    task_worker, receiver, endpoint_for, owner, workspace, settings
):
    hook = receiver()
    endpoint_for(hook, owner, ["license.updated"])
    keys = settings.PARAMETER_KEYS
    settings.PARAMETER_KEYS = [Fernet.generate_key().decode()]  # the key was dropped too early

    license_services.license_suspend(license=LicenseFactory(workspace=workspace))
    task_worker()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, hook.requests) == ("pending", 0, [])
    assert not WebhookAttempt.objects.exists()  # nothing was sent unsigned

    settings.PARAMETER_KEYS = keys  # put back; the claim lapses and the retry job picks it up
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    webhook_deliveries_retry_due.enqueue()
    task_worker()
    assert WebhookDelivery.objects.get().status == "succeeded" and hook.requests[0]["verified"]
