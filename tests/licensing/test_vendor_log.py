"""Staff actions on licenses (create, suspend, reinstate, revoke, extend), workspace deletions and
vendor API keys made or revoked go to the vendor-level log, with actor (a staff user, a vendor API key
or Keyward), IP and target, visible (and only visible) in Django admin."""

import pytest
from rest_framework.test import APIClient

from authtokens import vendor_keys
from authtokens.models import VendorApiKey
from licensing.models import License, VendorAction, VendorEvent
from licensing.services import licenses as license_services
from tests.factories import UserFactory
from tests.licensing.factories import LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db

IP = "203.0.113.90"


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_api(staff):
    client = APIClient(REMOTE_ADDR=IP)
    client.force_authenticate(user=staff)
    return client


def test_staff_license_actions_are_logged_with_actor_ip_and_target(staff, staff_api, workspace):
    created = staff_api.post(
        "/api/v1/staff/licenses/", {"policy": PolicyFactory().pk, "workspace": "acme"}, format="json"
    ).json()
    lic = created["id"]
    for action in ("suspend", "reinstate", "revoke"):
        staff_api.post(f"/api/v1/staff/licenses/{lic}/{action}/")
    events = list(VendorEvent.objects.order_by("id"))
    assert [e.action for e in events] == [
        VendorAction.CREATED,
        VendorAction.SUSPENDED,
        VendorAction.REINSTATED,
        VendorAction.REVOKED,
    ]
    for event in events:
        assert event.actor == staff and event.actor_label == staff.email and event.ip == IP
        assert lic in event.license_label and event.workspace_label == "acme"


def test_extending_is_logged_with_old_and_new_expiry(staff_api):
    license = LicenseFactory()
    staff_api.post(f"/api/v1/staff/licenses/{license.public_id}/extend/", {"days": 30}, format="json")
    event = VendorEvent.objects.get(action=VendorAction.EXTENDED)
    assert "→" in event.detail and license.public_id in event.license_label


def test_admin_actions_are_logged_and_the_log_is_read_only_in_admin(staff):
    from django.test import Client

    license = LicenseFactory()
    admin = Client(REMOTE_ADDR=IP)
    admin.force_login(staff)
    admin.post("/admin/licensing/license/", {"action": "suspend", "_selected_action": [license.pk]})
    event = VendorEvent.objects.get(action=VendorAction.SUSPENDED)
    assert event.actor == staff and event.ip == IP
    page = admin.get("/admin/licensing/vendorevent/")
    assert page.status_code == 200 and license.public_id in page.content.decode()
    assert admin.post(f"/admin/licensing/vendorevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin.get("/admin/licensing/vendorevent/add/").status_code == 403
    assert VendorEvent.objects.filter(pk=event.pk).exists()


def test_deleting_a_workspace_is_logged_where_it_survives_the_workspace(owner, client_for):
    response = client_for(owner).delete("/api/v1/workspaces/acme/", {"confirm_name": "Acme"}, format="json")
    assert response.status_code == 204
    event = VendorEvent.objects.get(action=VendorAction.WORKSPACE_DELETED)
    assert event.actor == owner.user and event.workspace_label == "acme" and "Acme" in event.detail


# ---------------------------------------------------------------- vendor API keys


def key_client(plaintext):
    client = APIClient(REMOTE_ADDR=IP)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def test_making_and_revoking_a_vendor_key_are_logged_once(staff, staff_api):
    made = staff_api.post(
        "/api/v1/staff/api-keys/",
        {"name": "Billing bot", "access": "read_write", "expires_at": "2099-01-02T03:04:00+02:00"},
        format="json",
    ).json()
    for _ in range(2):  # revoking twice changes nothing, so it is one line
        assert staff_api.post(f"/api/v1/staff/api-keys/{made['id']}/revoke/").status_code == 200
    events = list(VendorEvent.objects.order_by("id"))
    assert [e.action for e in events] == [VendorAction.API_KEY_CREATED, VendorAction.API_KEY_REVOKED]
    for event in events:
        assert event.actor == staff and event.actor_label == staff.email and event.ip == IP
        assert event.license is None and event.license_label == "" and event.workspace_label == ""
        assert f"vendor API key Billing bot ({made['id']})" in event.detail
    assert events[0].detail.endswith("Read and write, until 2099-01-02 01:04 UTC")
    assert made["key"] not in str(list(VendorEvent.objects.values()))


def test_a_vendor_key_made_and_revoked_in_admin_is_logged(staff):
    from django.test import Client

    admin = Client(REMOTE_ADDR=IP)
    admin.force_login(staff)
    admin.post(
        "/admin/authtokens/vendorapikey/add/",
        {"name": "Reports", "access": "read", "expires_at_0": "", "expires_at_1": ""},
    )
    key = VendorApiKey.objects.get()
    admin.post("/admin/authtokens/vendorapikey/", {"action": "revoke_keys", "_selected_action": [key.pk]})
    events = list(VendorEvent.objects.order_by("id"))
    assert [e.action for e in events] == [VendorAction.API_KEY_CREATED, VendorAction.API_KEY_REVOKED]
    assert events[0].detail == f"{key.log_label}, Read-only, no expiry"
    assert all(e.actor == staff and e.ip == IP for e in events)
    page = admin.get("/admin/licensing/vendorevent/").content.decode()
    assert "Vendor API key created" in page and key.public_id in page


def test_license_actions_taken_with_a_vendor_key_name_the_key_as_actor(staff, staff_api):
    other_key = vendor_keys.vendor_api_key_create(
        created_by=staff, name="Billing bot", access="read_write"
    ).key
    issued_key = vendor_keys.vendor_api_key_create(created_by=staff, name="Shop", access="read_write")
    client = key_client(issued_key.plaintext)
    made = client.post("/api/v1/staff/licenses/", {"policy": PolicyFactory().pk}, format="json").json()
    client.post(f"/api/v1/staff/licenses/{made['id']}/suspend/")
    dodo = client.post(
        "/compat/dodo/license_keys",
        {"customer_id": "c", "key": "DODO-MADE-1", "product_id": PolicyFactory().product.code},
        format="json",
    )
    assert dodo.status_code == 200, dodo.content
    by_key = VendorEvent.objects.filter(actor_label=issued_key.key.log_label).order_by("id")
    assert [e.action for e in by_key] == [VendorAction.CREATED, VendorAction.SUSPENDED, VendorAction.CREATED]
    assert all(e.actor is None and e.ip == IP for e in by_key)
    assert not VendorEvent.objects.filter(actor_label=other_key.log_label).exists()

    # The next request on the same thread is the staff user's own, and outside a request it is Keyward.
    staff_api.post(f"/api/v1/staff/licenses/{made['id']}/reinstate/")
    reinstated = VendorEvent.objects.get(action=VendorAction.REINSTATED)
    assert reinstated.actor == staff and reinstated.actor_label == staff.email
    license_services.license_revoke(license=License.objects.get(public_id=made["id"]), actor=None)
    revoked = VendorEvent.objects.get(action=VendorAction.REVOKED)
    assert revoked.actor is None and revoked.actor_label == "Keyward" and revoked.ip is None
