"""Webhook delivery through the real engine (django-tasks-db's worker) to a real HTTP receiver."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from authtokens import services as token_services
from licensing.services import licenses as license_services
from tests.factories import UserFactory
from tests.licensing.factories import LicenseFactory
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEvent
from webhooks.tasks import webhook_deliveries_retry_due, webhook_endpoints_disable_failing

pytestmark = pytest.mark.django_db(transaction=True)


def test_500_twice_then_200_ends_in_one_succeeded_delivery_after_three_attempts(
    task_worker, receiver, endpoint_for, owner, workspace
):
    hook = receiver()
    hook.script = [500, 500]
    endpoint_for(hook, owner, ["license.updated"])
    license = LicenseFactory(workspace=workspace)

    license_services.license_suspend(license=license)
    task_worker()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 3)
    assert [a.status_code for a in delivery.attempt_log.order_by("pk")] == [500, 500, 200]
    first_answer = delivery.attempt_log.order_by("pk").first().response_body
    assert len(first_answer) == 1024 and first_answer.startswith("\ufffdoops")  # first 1 KB, NUL replaced
    assert len(hook.requests) == 3 and all(r["verified"] for r in hook.requests)
    assert len({r["headers"]["webhook-id"] for r in hook.requests}) == 1  # the same message each time
    (payload,) = hook.events.values()
    assert payload["type"] == "license.updated"
    assert payload["data"]["id"] == license.public_id and payload["data"]["status"] == "suspended"
    assert set(payload) == {"type", "timestamp", "data"}


def test_twenty_changes_while_the_receiver_is_down_all_arrive_once_in_order_per_license(
    task_worker, receiver, endpoint_for, owner, workspace, settings
):
    hook = receiver(start=False)  # nothing listens on its port yet
    endpoint_for(hook, owner, ["license.updated"])
    settings.WEBHOOK_RETRY_DELAYS = [2] * 7  # a slow first run must not use them all up
    licenses = [LicenseFactory(workspace=workspace) for _ in range(4)]
    for day in range(1, 6):
        for license in licenses:
            license_services.license_extend(license=license, until=timezone.now() + timedelta(days=30 + day))

    task_worker()  # every chain's first delivery is refused; the rest wait behind it
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 20
    heads = {
        WebhookDelivery.objects.filter(ordering_key=f"license:{license.public_id}").order_by("pk").first().pk
        for license in licenses
    }
    assert set(WebhookAttempt.objects.values_list("delivery_id", flat=True)) == heads

    hook.start()
    time.sleep(2.2)
    task_worker()

    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 20
    assert len(hook.events) == 20 and all(r["verified"] for r in hook.requests)
    for license in licenses:
        received = [
            p["data"]["expires_at"] for p in hook.events.values() if p["data"]["id"] == license.public_id
        ]
        assert len(received) == 5
        assert received == sorted(received)  # in the order the changes happened


def test_a_rolled_back_change_sends_nothing(task_worker, receiver, endpoint_for, owner, workspace):
    hook = receiver()
    endpoint_for(hook, owner, ["license.updated", "license.revoked"])
    license = LicenseFactory(workspace=workspace)

    with pytest.raises(RuntimeError), transaction.atomic():
        license_services.license_revoke(license=license)
        raise RuntimeError("something after the revoke failed")

    task_worker()
    assert WebhookEvent.objects.count() == 0 and WebhookDelivery.objects.count() == 0
    assert hook.requests == []


def test_a_lost_enqueue_is_delivered_by_the_periodic_retry_job(
    task_worker, receiver, endpoint_for, owner, workspace
):
    hook = receiver()
    endpoint_for(hook, owner, ["license.revoked"])
    license_services.license_revoke(license=LicenseFactory(workspace=workspace))
    DBTaskResult.objects.all().delete()  # as if the process died between commit and enqueue

    webhook_deliveries_retry_due.enqueue()
    task_worker()
    assert len(hook.events) == 1
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_410_gone_disables_the_endpoint(task_worker, receiver, endpoint_for, owner, workspace):
    hook = receiver()
    hook.script = [410]
    endpoint = endpoint_for(hook, owner, ["license.updated"])
    license = LicenseFactory(workspace=workspace)
    license_services.license_suspend(license=license)
    task_worker()

    endpoint.refresh_from_db()
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED
    license_services.license_reinstate(license=license)  # a disabled endpoint hears nothing more
    task_worker()
    assert len(hook.requests) == 1


def test_after_the_last_retry_the_delivery_is_failed(
    task_worker, receiver, endpoint_for, owner, workspace, settings
):
    settings.WEBHOOK_RETRY_DELAYS = [0, 0]
    hook = receiver()
    hook.script = [503] * 10
    endpoint_for(hook, owner, ["license.updated"])
    license_services.license_suspend(license=LicenseFactory(workspace=workspace))
    task_worker()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)


def test_a_slow_receiver_times_out(task_worker, receiver, endpoint_for, owner, workspace, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    settings.WEBHOOK_RETRY_DELAYS = []
    hook = receiver()
    hook.delay = 1
    endpoint_for(hook, owner, ["license.updated"])
    license_services.license_suspend(license=LicenseFactory(workspace=workspace))
    task_worker()
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "No answer within" in attempt.error


def test_a_rotated_secret_keeps_the_old_one_signing_for_a_day(
    task_worker, receiver, endpoint_for, owner, workspace
):
    hook = receiver()
    endpoint = endpoint_for(hook, owner, ["license.updated"])
    old_secret = hook.secret
    endpoint, new_secret = services.endpoint_rotate_secret(actor=owner, endpoint=endpoint)
    assert new_secret != old_secret and new_secret.startswith("whsec_")
    license_services.license_suspend(license=LicenseFactory(workspace=workspace))
    task_worker()
    assert hook.requests[0]["verified"]  # with the old secret, still valid
    hook.secret = new_secret
    hook.handle(hook.requests[0]["headers"], hook.requests[0]["body"])
    assert hook.requests[-1]["verified"]  # and with the new one

    endpoint.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    endpoint.save()
    hook.secret = old_secret
    license_services.license_reinstate(license=LicenseFactory(workspace=workspace, status="suspended"))
    task_worker()
    assert not hook.requests[-1]["verified"]  # a day later the old secret no longer signs


def test_token_payloads_carry_no_secret(task_worker, receiver, endpoint_for, owner, workspace):
    hook = receiver()
    endpoint_for(hook, owner, ["token.created", "token.revoked"])
    issued = token_services.ci_token_create(actor=owner, name="deploy")
    token_services.ci_token_revoke(actor=owner, token=issued.token)
    task_worker()
    bodies = b"".join(r["body"] for r in hook.requests)
    assert [p["type"] for p in hook.events.values()] == ["token.created", "token.revoked"]
    assert issued.plaintext.encode() not in bodies
    assert issued.token.token_hash.encode() not in bodies
    assert b"token_hash" not in bodies


def test_delivery_time_refuses_a_private_address(
    task_worker, receiver, endpoint_for, owner, workspace, settings
):
    hook = receiver()
    endpoint_for(hook, owner, ["license.updated"])
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False  # e.g. DNS now points the name inside
    settings.WEBHOOK_RETRY_DELAYS = []
    license_services.license_suspend(license=LicenseFactory(workspace=workspace))
    task_worker()
    assert hook.requests == []
    assert "private" in WebhookAttempt.objects.get().error


def test_an_endpoint_failing_for_three_days_is_disabled_and_its_owners_told(
    task_worker, receiver, endpoint_for, owner, workspace, settings
):
    hook = receiver()
    hook.script = [500] * 20
    endpoint = endpoint_for(hook, owner, ["license.updated"])
    settings.WEBHOOK_RETRY_DELAYS = [0]
    license_services.license_suspend(license=LicenseFactory(workspace=workspace))
    task_worker()
    webhook_endpoints_disable_failing.enqueue()
    task_worker()
    endpoint.refresh_from_db()
    assert endpoint.enabled  # failing, but not for three days yet

    WebhookAttempt.objects.update(attempted_at=timezone.now() - timedelta(days=3, minutes=1))
    mail.outbox.clear()
    webhook_endpoints_disable_failing.enqueue()
    task_worker()
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "3 days" in endpoint.disabled_reason
    (message,) = mail.outbox
    assert message.to == [owner.user.email]
    assert message.subject == f"Webhook endpoint disabled: {hook.url}"
    assert message.body == _failing_notice(hook.url, "Acme")


def _failing_notice(url, where):
    return (
        f"Every delivery to the webhook endpoint {url} ({where}) failed for 3 days, so Keyward disabled it."
        "\n\nFix the receiver, then enable the endpoint again and redeliver the failed deliveries from its "
        "delivery log."
    )


def test_a_failing_vendor_endpoint_is_reported_to_active_staff_as_the_vendors(
    task_worker, receiver, local_webhooks, workspace, settings
):
    staff = UserFactory(is_staff=True, email="support@keyward.test")
    UserFactory(is_staff=True, is_active=False)
    hook = receiver()
    hook.script = [500] * 20
    endpoint, hook.secret = services.endpoint_create(
        actor=staff, url=hook.url, event_types=["license.updated"]
    )
    settings.WEBHOOK_RETRY_DELAYS = [0]
    license_services.license_suspend(license=LicenseFactory(workspace=workspace))
    task_worker()
    WebhookAttempt.objects.update(attempted_at=timezone.now() - timedelta(days=3, minutes=1))
    mail.outbox.clear()

    webhook_endpoints_disable_failing.enqueue()
    task_worker()
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    (message,) = mail.outbox
    assert message.to == [staff.email]
    assert message.body == _failing_notice(hook.url, "the vendor")


def test_a_second_test_event_goes_out_at_once_while_the_first_still_retries(
    task_worker, receiver, endpoint_for, owner, settings
):
    hook = receiver()
    hook.script = [500]
    endpoint = endpoint_for(hook, owner, ["license.updated"])
    settings.WEBHOOK_RETRY_DELAYS = [3600]
    first = services.endpoint_send_test(actor=owner, endpoint=endpoint)
    second = services.endpoint_send_test(actor=owner, endpoint=endpoint)
    task_worker()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempts) == (DeliveryStatus.PENDING, 1)
    assert second.status == DeliveryStatus.SUCCEEDED


def test_the_reason_an_endpoint_was_switched_off_is_kept_to_what_the_dashboard_shows(
    receiver, endpoint_for, owner
):
    endpoint = endpoint_for(receiver(), owner, ["license.updated"])
    endpoint = services.endpoint_disable(endpoint=endpoint, reason="The receiver said: " + "x" * 300)
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason == ("The receiver said: " + "x" * 300)[:200]


def test_https_by_host_name_connects_to_the_checked_address_and_verifies_the_certificate(
    task_worker, receiver, endpoint_for, owner, workspace, localhost_tls, settings
):
    hook = receiver(tls=localhost_tls, host="localhost")
    endpoint_for(hook, owner, ["license.updated"])
    settings.WEBHOOK_ALLOW_HTTP = False
    license_services.license_suspend(license=LicenseFactory(workspace=workspace))
    task_worker()
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED
    (request,) = hook.requests
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert request["verified"] and headers["host"] == f"localhost:{hook.port}"


def test_an_untrusted_certificate_is_refused(
    task_worker, receiver, endpoint_for, owner, workspace, localhost_tls, settings
):
    hook = receiver(tls=localhost_tls, host="localhost")
    endpoint_for(hook, owner, ["license.updated"])
    settings.WEBHOOK_TLS_CA_FILE = ""
    settings.WEBHOOK_RETRY_DELAYS = []
    license_services.license_suspend(license=LicenseFactory(workspace=workspace))
    task_worker()
    assert hook.requests == []
    assert "CERTIFICATE_VERIFY_FAILED" in WebhookAttempt.objects.get().error
