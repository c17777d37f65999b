"""Which service changes write which outbox events (recorded in the change's own transaction)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as account_services
from authtokens import services as token_services
from authtokens import tokens
from licensing.services import activation as activation_services
from licensing.services import licenses as license_services
from tests.factories import UserFactory
from tests.licensing.factories import LicenseFactory, PolicyFactory
from webhooks import services
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def listening(owner):
    return services.endpoint_create(
        actor=owner, url="https://93.184.216.34/h", event_types=list(EVENT_TYPES)
    )[0]


def recorded():
    return [event.type for event in WebhookEvent.objects.order_by("created_at", "id")]


def test_nothing_is_recorded_when_nobody_listens(owner, workspace):
    license_services.license_suspend(license=LicenseFactory(workspace=workspace))
    assert recorded() == []


def test_license_lifecycle(owner, member, workspace, listening):
    license, key = license_services.license_create(
        policy=PolicyFactory(heartbeat_interval=timedelta(minutes=1)), workspace=workspace
    )
    license_services.license_assign(actor=owner, license=license, membership=member)
    license_services.license_extend(license=license, by=timedelta(days=3))
    activation = activation_services.license_key_activate(key=key, name="laptop", fingerprint="fp-1")
    activation_services.license_key_activate(key=key, name="laptop", fingerprint="fp-1")  # known: no event
    activation_services.license_key_deactivate(key=key, activation_id=activation.public_id)
    activation_services.license_key_activate(key=key, name="laptop", fingerprint="fp-2")
    released = activation_services.machines_release_dead(now=timezone.now() + timedelta(hours=1))
    license_services.license_unassign(actor=owner, license=license)
    license_services.license_revoke(license=license)
    license_services.license_revoke(license=license)  # already revoked: no event
    assert released == 1
    assert recorded() == [
        "license.created",
        "license.updated",
        "license.updated",
        "license.activated",
        "license.deactivated",
        "license.activated",
        "license.deactivated",
        "license.updated",
        "license.revoked",
    ]
    activated = WebhookEvent.objects.filter(type="license.activated").first().payload["data"]
    assert (
        activated["activation"]["fingerprint"] == "fp-1" and activated["license"]["id"] == license.public_id
    )


def test_encrypted_policy_keys_never_leave(listening, workspace):
    license, key = license_services.license_create(policy=PolicyFactory(encrypted=True), workspace=workspace)
    payload = WebhookEvent.objects.get().payload
    assert payload["data"]["key"] is None and key not in str(payload)


def test_members_and_tokens(listening, owner, workspace, settings):
    invitation = account_services.membership_invite(actor=owner, email="new@acme.test")
    newcomer = UserFactory(email="new@acme.test")
    membership = account_services.invitation_accept(user=newcomer, invitation=invitation)
    issued = token_services.ci_token_create(actor=owner, name="deploy")
    token_services.ci_token_revoke(actor=owner, token=issued.token)
    leaked = token_services.ci_token_create(actor=owner, name="leaky")
    token_services.leak_report_process(reports=[{"token": leaked.plaintext, "type": "x", "url": "u"}])
    account_services.membership_remove(actor=owner, membership=membership)
    assert recorded() == [
        "token.created",  # the newcomer's developer token, issued with the membership
        "member.added",
        "token.created",
        "token.revoked",
        "token.created",
        "token.leaked",
        "token.revoked",  # the developer token ends with the membership
        "member.removed",
    ]
    everything = str(list(WebhookEvent.objects.values_list("payload", flat=True)))
    for secret in (issued.plaintext, leaked.plaintext, tokens.hash_token(leaked.plaintext)):
        assert secret not in everything


def test_another_workspaces_changes_do_not_reach_this_endpoint(listening, other_workspace):
    license_services.license_suspend(license=LicenseFactory(workspace=other_workspace))
    assert recorded() == []


def test_parameter_changes_carry_name_stage_and_version_never_the_value(listening, owner):
    from parameters import services as parameter_services

    parameter = parameter_services.parameter_create(
        actor=owner, stage="prod", name="DB_PASSWORD", value="hunter2-secret", is_secret=True
    )
    parameter_services.parameter_update(actor=owner, parameter=parameter, value="rotated-secret")
    parameter = parameter_services.parameter_restore(actor=owner, parameter=parameter, version=1)
    parameter_services.parameter_delete(actor=owner, parameter=parameter)

    events = WebhookEvent.objects.filter(type="parameter.changed").order_by("created_at", "id")
    assert [(e.payload["data"]["action"], e.payload["data"]["version"]) for e in events] == [
        ("created", 1),
        ("updated", 2),
        ("restored", 3),
        ("deleted", 3),
    ]
    assert events[0].payload["data"]["name"] == "DB_PASSWORD" and events[0].payload["data"]["stage"] == "prod"
    everything = str(list(events.values_list("payload", flat=True)))
    assert "hunter2" not in everything and "rotated-secret" not in everything


def test_a_deleted_workspace_takes_its_events_along_even_those_a_vendor_endpoint_heard(owner, workspace):
    from accounts import services as account_services

    staff = UserFactory(is_staff=True)
    vendor = services.endpoint_create(
        actor=staff, url="https://93.184.216.34/h", event_types=["license.created"]
    )[0]
    license_services.license_create(policy=PolicyFactory(), workspace=workspace)
    (event,) = WebhookEvent.objects.all()
    assert event.deliveries.get().endpoint == vendor

    account_services.workspace_delete(actor=owner, confirm_name=workspace.name)
    assert not WebhookEvent.objects.exists()
