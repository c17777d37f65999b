"""Staff actions on licenses (create, suspend, reinstate, revoke, extend) go to the vendor-level log,
with actor, IP and target, visible (and only visible) in Django admin."""

import pytest
from rest_framework.test import APIClient

from licensing.models import VendorAction, VendorEvent
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
