"""Every row of the event table through POST /api/v1/billing/events, with real signatures."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from commerce.models import BillingEvent, Grant, GrantStatus
from licensing.models import License, LicenseStatus
from parameters.crypto import encrypt
from webhooks.models import WebhookEndpoint, WebhookEvent

from .conftest import SECRET, URL, payment_event, post_event, refund_event, signed_headers, subscription_event

pytestmark = pytest.mark.django_db


def grants(**filters):
    return list(Grant.objects.filter(**filters).select_related("license").order_by("quantity_index"))


def statuses(subscription_id="sub_1"):
    return sorted(
        (g.status, g.revocation_reason, g.license.status if g.license else None)
        for g in grants(subscription_id=subscription_id)
    )


def test_payment_succeeded_issues_one_grant_and_license_per_quantity(
    once_policy, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(
        url="https://93.184.216.34/h",
        secret_encrypted=encrypt("whsec_x"),
        event_types=["grant.created", "grant.delivered", "license.created"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(payment_event(cart=(("pdt_once", 2),)))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "processed"
    issued = grants(payment_id="pay_1")
    assert [g.status for g in issued] == [GrantStatus.DELIVERED] * 2
    for grant in issued:
        license = grant.license
        assert (license.source, license.payment_id, license.subscription_id) == ("auto", "pay_1", "")
        assert license.expires_at is not None
        assert abs(license.expires_at - (datetime.now(UTC) + timedelta(days=365))) < timedelta(minutes=1)
        assert license.workspace.billing_customers.get().email == "buyer@example.com"
    sent = list(WebhookEvent.objects.values_list("type", flat=True))
    assert sorted(sent) == sorted(["grant.created", "grant.delivered", "license.created"] * 2)
    grant_payload = WebhookEvent.objects.filter(type="grant.delivered").first().payload
    assert grant_payload["data"]["payment_id"] == "pay_1" and grant_payload["data"]["status"] == "delivered"


def test_new_customer_gets_a_workspace_and_an_owner_invitation(
    once_policy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_event(payment_event())
    workspace = grants()[0].workspace
    invitation = workspace.invitations.get()
    assert (invitation.email, invitation.role) == ("buyer@example.com", "owner")


def test_a_known_customer_keeps_their_workspace(once_policy):
    post_event(payment_event(payment_id="pay_1"))
    post_event(payment_event(payment_id="pay_2"))
    assert len({g.workspace_id for g in grants()}) == 1


def test_subscription_active_issues_one_license_per_seat_without_expiry(pro_policy):
    response = post_event(subscription_event("active", minute=0, quantity=3))
    assert response.status_code == 200
    issued = grants(subscription_id="sub_1")
    assert len(issued) == 3
    assert all(g.license.expires_at is None and g.license.subscription_id == "sub_1" for g in issued)


def test_subscription_renewed_changes_nothing(pro_policy):
    post_event(subscription_event("active", minute=0, quantity=2))
    before = statuses()
    post_event(subscription_event("renewed", minute=30, quantity=2))
    assert statuses() == before
    assert Grant.objects.count() == 2


def test_on_hold_suspends_and_active_brings_them_back(pro_policy):
    post_event(subscription_event("active", minute=0, quantity=2))
    post_event(subscription_event("on_hold", minute=10, quantity=2))
    assert statuses() == [("delivered", "", LicenseStatus.SUSPENDED)] * 2
    post_event(subscription_event("active", minute=20, quantity=2))
    assert statuses() == [("delivered", "", LicenseStatus.ACTIVE)] * 2


@pytest.mark.parametrize(
    "kind, reason", [("cancelled", "subscription_cancelled"), ("expired", "subscription_expired")]
)
def test_cancelled_and_expired_revoke_for_good(pro_policy, kind, reason):
    post_event(subscription_event("active", minute=0, quantity=2))
    post_event(subscription_event(kind, minute=10, quantity=2))
    assert statuses() == [("revoked", reason, LicenseStatus.REVOKED)] * 2
    post_event(subscription_event("active", minute=20, quantity=2))  # final: nothing comes back
    assert statuses() == [("revoked", reason, LicenseStatus.REVOKED)] * 2


def test_plan_changed_revokes_old_licenses_and_issues_new_ones(pro_policy, team_policy):
    post_event(subscription_event("active", minute=0, quantity=2))
    post_event(subscription_event("plan_changed", minute=10, product_id="pdt_team", quantity=2))
    old = grants(policy=pro_policy)
    new = grants(policy=team_policy)
    assert [(g.status, g.revocation_reason, g.license.status) for g in old] == [
        ("revoked", "plan_changed", "revoked")
    ] * 2
    assert [(g.status, g.license.status) for g in new] == [("delivered", "active")] * 2


def test_quantity_change_adds_seats_and_removes_unassigned_ones_first(pro_policy, workspace, member):
    post_event(subscription_event("active", minute=0, quantity=3))
    post_event(subscription_event("plan_changed", minute=5, quantity=4))
    assert len(grants(status=GrantStatus.DELIVERED)) == 4
    first = grants()[0]
    License.objects.filter(pk=first.license_id).update(assignee=None)  # only this one is...
    held = grants()[0].license
    workspace_member = held.workspace.memberships.first()
    if workspace_member is None:  # the customer has not accepted the invitation yet: give the seat a holder
        from tests.factories import MembershipFactory, UserFactory

        workspace_member = MembershipFactory(user=UserFactory(), workspace=held.workspace, role="member")
    License.objects.filter(pk=held.pk).update(assignee=workspace_member)
    post_event(subscription_event("plan_changed", minute=10, quantity=1))
    live = grants(status=GrantStatus.DELIVERED)
    assert [g.license_id for g in live] == [held.pk]  # the assigned seat stays
    assert {g.revocation_reason for g in grants(status=GrantStatus.REVOKED)} == {"plan_changed"}


def test_refund_revokes_a_one_time_purchase(once_policy):
    post_event(payment_event())
    post_event(refund_event())
    assert [(g.status, g.revocation_reason, g.license.status) for g in grants()] == [
        ("revoked", "refund", "revoked")
    ]


def test_staff_revoke_is_manual_and_a_renewal_never_brings_it_back(pro_policy, client_for, django_user_model):
    staff = django_user_model.objects.create_user(email="staff@keyward.test", password="x", is_staff=True)
    post_event(subscription_event("active", minute=0, quantity=2))
    target = grants()[0]
    response = client_for(staff).post(f"/api/v1/staff/grants/{target.public_id}/revoke/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["revocation_reason"] == "manual"
    post_event(subscription_event("renewed", minute=30, quantity=2))
    assert Grant.objects.count() == 2
    assert statuses() == [("delivered", "", "active"), ("revoked", "manual", "revoked")]


def test_subscription_payment_succeeded_is_left_to_the_subscription_events(pro_policy):
    payload = payment_event(cart=(("pdt_pro", 1),))
    payload["data"]["subscription_id"] = "sub_1"
    response = post_event(payload)
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert Grant.objects.count() == 0


def test_an_unhandled_event_type_is_kept_as_ignored(pro_policy):
    response = post_event({"type": "dispute.opened", "timestamp": "2026-11-01T12:00:00Z", "data": {}})
    assert response.status_code == 200
    assert BillingEvent.objects.get().status == "ignored"


def test_keywards_own_format_with_product_id_and_quantity(once_policy):
    payload = {
        "type": "payment.succeeded",
        "timestamp": "2026-11-01T12:00:00Z",
        "data": {
            "payment_id": "pay_k",
            "product_id": "pdt_once",
            "quantity": 2,
            "customer": {"email": "k@example.com"},
        },
    }
    assert post_event(payload).status_code == 200
    assert len(grants(payment_id="pay_k")) == 2


# ---------------------------------------------------------------- refusals


def test_unknown_product_is_422_and_kept_as_failed_then_replayed_by_redelivery(pro_policy):
    from commerce.models import BillingProduct

    payload = subscription_event("active", minute=0, product_id="pdt_unknown")
    response = post_event(payload, event_id="evt_unknown")
    assert response.status_code == 422
    assert response.json()["code"] == "PRODUCT_UNKNOWN"
    event = BillingEvent.objects.get(event_id="evt_unknown")
    assert event.status == "failed" and event.error_code == "PRODUCT_UNKNOWN"
    assert Grant.objects.count() == 0 and License.objects.count() == 0
    BillingProduct.objects.create(product_id="pdt_unknown", policy=pro_policy)
    assert post_event(payload, event_id="evt_unknown").status_code == 200
    assert BillingEvent.objects.get(event_id="evt_unknown").status == "processed"
    assert Grant.objects.count() == 1


def test_staff_replay_a_failed_event(pro_policy):
    from commerce import services
    from commerce.models import BillingProduct

    post_event(subscription_event("active", minute=0, product_id="pdt_later"), event_id="evt_later")
    BillingProduct.objects.create(product_id="pdt_later", policy=pro_policy)
    event = services.billing_event_replay(event=BillingEvent.objects.get(event_id="evt_later"))
    assert event.status == "processed" and Grant.objects.count() == 1


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: {**h, "HTTP_WEBHOOK_SIGNATURE": "v1,AAAA"},
        lambda h: {k: v for k, v in h.items() if k != "HTTP_WEBHOOK_SIGNATURE"},
        lambda h: {**h, "HTTP_WEBHOOK_ID": "evt_other"},
    ],
    ids=["bad-signature", "no-signature", "id-swapped"],
)
def test_a_bad_signature_is_400_and_writes_nothing(pro_policy, client, tamper):
    import json

    body = json.dumps(subscription_event("active", minute=0))
    response = client.post(
        URL, body, content_type="application/json", **tamper(signed_headers(body, "evt_1"))
    )
    assert response.status_code == 400
    assert response.json()["code"] == "SIGNATURE_INVALID"
    assert BillingEvent.objects.count() == 0 and Grant.objects.count() == 0


def test_an_old_signature_is_400(pro_policy):
    old = datetime.now(UTC) - timedelta(minutes=10)
    response = post_event(subscription_event("active", minute=0), when=old)
    assert response.status_code == 400 and "too old" in response.json()["message"]
    assert BillingEvent.objects.count() == 0


def test_another_secret_is_400(pro_policy):
    other = "whsec_" + "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC0zMmI="
    response = post_event(subscription_event("active", minute=0), secret=other)
    assert response.status_code == 400
    assert Grant.objects.count() == 0


def test_no_secret_configured_is_refused(pro_policy, settings):
    settings.BILLING_WEBHOOK_SECRET = ""
    response = post_event(subscription_event("active", minute=0), secret=SECRET)
    assert response.status_code == 409
    assert response.json()["code"] == "BILLING_NOT_CONFIGURED"


@pytest.mark.parametrize(
    "payload, field",
    [
        ([1, 2], "type"),
        ({"type": "payment.succeeded", "data": "x"}, "data"),
        (
            {
                "type": "payment.succeeded",
                "data": {
                    "payment_id": "p",
                    "customer": {"email": "a@example.com"},
                    "product_id": "x",
                    "quantity": 10**30,
                },
            },
            "data.quantity",
        ),
        (
            {
                "type": "subscription.active",
                "data": {
                    "subscription_id": "s\x00",
                    "product_id": "p",
                    "customer": {"email": "a@example.com"},
                },
            },
            "data.subscription_id",
        ),
        ({"type": "subscription.active", "timestamp": "yesterday", "data": {}}, "timestamp"),
        (
            {
                "type": "subscription.active",
                "data": {"subscription_id": "s", "product_id": "p", "customer": "bob"},
            },
            "data.customer",
        ),
        (
            {
                "type": "payment.succeeded",
                "data": {"payment_id": "p", "customer": {"email": "a@example.com"}, "product_cart": [7]},
            },
            "data.product_cart[0]",
        ),
    ],
)
def test_malformed_events_are_400_naming_the_field(pro_policy, payload, field):
    response = post_event(payload)
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert BillingEvent.objects.count() == 0


def test_deeply_nested_json_is_400_not_500(pro_policy):
    payload = {"type": "x", "data": {}}
    nested = "[" * 100000 + "]" * 100000
    import json

    body = json.dumps(payload)[:-1] + ', "deep": ' + nested + "}"
    from django.test import Client

    response = Client().post(URL, body, content_type="application/json", **signed_headers(body, "evt_deep"))
    assert response.status_code == 400


def test_key_email_has_html_and_text_with_safe_markdown(
    pro_policy, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        post_event(subscription_event("active", minute=0))
    license = grants()[0].license
    key_mails = [m for m in mail.outbox if "license key" in m.subject]
    assert len(key_mails) == 1
    message = key_mails[0]
    assert message.to == ["buyer@example.com"]
    assert license.key in message.body and "Run `tool activate`" in message.body
    html = message.alternatives[0][0]
    assert license.key in html and "<code>tool activate</code>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_license_disabled_directly_revokes_its_grant_and_re_enabling_brings_it_back(pro_policy):
    from licensing.services import licenses as license_services

    post_event(subscription_event("active", minute=0, quantity=1))
    grant = grants()[0]
    license_services.license_suspend(license=grant.license)
    grant.refresh_from_db()
    assert (grant.status, grant.revocation_reason) == ("revoked", "license_key_disabled")
    post_event(subscription_event("renewed", minute=10, quantity=1))  # a disabled seat is still a seat
    assert Grant.objects.count() == 1
    license_services.license_reinstate(license=grant.license)
    grant.refresh_from_db()
    assert (grant.status, grant.revocation_reason, grant.license.status) == ("delivered", "", "active")


def test_on_hold_is_not_a_direct_disabling(pro_policy):
    post_event(subscription_event("active", minute=0, quantity=1))
    post_event(subscription_event("on_hold", minute=10, quantity=1))
    assert statuses() == [("delivered", "", "suspended")]


def test_a_disabled_key_of_a_cancelled_subscription_stays_revoked_when_re_enabled(pro_policy):
    from licensing.services import licenses as license_services

    post_event(subscription_event("active", minute=0, quantity=1))
    grant = grants()[0]
    license_services.license_suspend(license=grant.license)
    post_event(subscription_event("cancelled", minute=10, quantity=1))
    assert statuses() == [("revoked", "subscription_cancelled", "revoked")]


def test_a_bad_customer_email_is_400_naming_it(pro_policy):
    payload = subscription_event("active", minute=0, email="not-an-address")
    response = post_event(payload)
    assert response.status_code == 400
    assert "data.customer.email" in response.json()["fields"]
    assert BillingEvent.objects.count() == 0
