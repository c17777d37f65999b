"""Manual fulfilment and the staff grants API."""

import pytest
from django.core import mail

from commerce.models import Grant, GrantStatus
from licensing.models import License
from tests.factories import UserFactory

from .conftest import post_event, subscription_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client_for):
    return client_for(UserFactory(email="staff@keyward.test", is_staff=True))


@pytest.fixture
def pending(manual_policy):
    post_event(subscription_event("active", minute=0, product_id="pdt_manual", quantity=1))
    return Grant.objects.get()


def test_a_manual_policy_purchase_makes_a_pending_grant_without_a_key(pending):
    assert pending.status == GrantStatus.PENDING and pending.license is None
    assert License.objects.count() == 0


def test_staff_list_pending_grants(staff, pending, once_policy):
    post_event(
        {
            "type": "payment.succeeded",
            "timestamp": "2026-11-01T12:00:00Z",
            "data": {"payment_id": "p2", "product_id": "pdt_once", "customer": {"email": "b@example.com"}},
        }
    )
    response = staff.get("/api/v1/staff/grants/?status=pending")
    assert response.status_code == 200
    assert [g["id"] for g in response.json()["results"]] == [pending.public_id]
    assert staff.get("/api/v1/staff/grants/?status=nonsense").json()["fields"].keys() == {"status"}


def test_fulfil_once_then_409(staff, pending, django_capture_on_commit_callbacks, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    url = f"/api/v1/staff/grants/{pending.public_id}/license-key/"
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, {"key": "MANUAL-KEY-0001", "activation_limit": 7}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "delivered"
    license = License.objects.get()
    assert (license.key, license.activation_limit, license.max_activations, license.subscription_id) == (
        "MANUAL-KEY-0001",
        7,
        7,
        "sub_1",
    )
    assert any("MANUAL-KEY-0001" in m.body and m.to == ["buyer@example.com"] for m in mail.outbox)
    again = staff.post(url, {"key": "MANUAL-KEY-0002"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "GRANT_ALREADY_FULFILLED"
    assert again.json()["message"] == (
        "This grant is delivered, not pending; only a pending grant can be fulfilled, once."
    )
    assert License.objects.count() == 1


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "key"),
        ({"key": ""}, "key"),
        ({"key": "K1", "activation_limit": 0}, "activation_limit"),
        ({"key": "K1", "activation_limit": 10**20}, "activation_limit"),
        ({"key": "K 1"}, "key"),
        ({"key": "K\x00"}, "key"),
        ({"key": "K1", "expires_at": "soon"}, "expires_at"),
    ],
)
def test_fulfil_bad_input_names_the_field_and_leaves_it_pending(staff, pending, payload, field):
    response = staff.post(f"/api/v1/staff/grants/{pending.public_id}/license-key/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    pending.refresh_from_db()
    assert pending.status == GrantStatus.PENDING and License.objects.count() == 0


def test_fulfil_with_a_taken_key_is_refused_and_stays_pending(staff, pending):
    from tests.licensing.factories import LicenseFactory

    LicenseFactory(key="TAKEN-KEY")
    response = staff.post(
        f"/api/v1/staff/grants/{pending.public_id}/license-key/", {"key": "TAKEN-KEY"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "LICENSE_KEY_TAKEN"
    pending.refresh_from_db()
    assert pending.status == GrantStatus.PENDING


def test_unknown_grant_is_404(staff):
    assert (
        staff.post("/api/v1/staff/grants/grt_nope/license-key/", {"key": "K"}, format="json").status_code
        == 404
    )


def test_revoke_with_a_bad_reason_is_400(staff, pending):
    response = staff.post(
        f"/api/v1/staff/grants/{pending.public_id}/revoke/", {"reason": "bored"}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()["fields"]


def test_non_staff_get_403(client_for, owner, pending):
    assert client_for(owner).get("/api/v1/staff/grants/").status_code == 403


def test_vendor_view_lists_pending_grants_and_fulfils_one(client, pending, owner):
    client.force_login(owner.user)
    assert client.get("/staff/vendor/grants/").status_code == 403
    client.force_login(UserFactory(email="vendor@keyward.test", is_staff=True))
    page = client.get("/staff/vendor/grants/").content.decode()
    assert pending.public_id in page and "buyer@example.com" in page
    bad = client.post("/staff/vendor/grants/", {"grant": pending.public_id, "key": "K 1"})
    assert bad.status_code == 400 and "spaces" in bad.content.decode()
    done = client.post("/staff/vendor/grants/", {"grant": pending.public_id, "key": "VIEW-KEY-1"})
    assert done.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "delivered" and pending.license.key == "VIEW-KEY-1"
    assert 'data-testid="no-pending"' in client.get("/staff/vendor/grants/").content.decode()


def test_a_grant_id_reads_as_a_grant(staff, pending):
    (listed,) = staff.get("/api/v1/staff/grants/").json()["results"]
    assert listed["id"] == pending.public_id and pending.public_id.startswith("grt_")
