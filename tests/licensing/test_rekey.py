"""Re-keying a license: the new key is shown once, the old one stops validating at once, machines
are released unless kept, and the security log records it. Staff (admin, staff API) and members
with manage_licenses may do it."""

import pytest
from django.test import Client
from django.urls import reverse

from authtokens.models import SecurityAction, SecurityEvent
from licensing.models import Activation, License, LicenseStatus
from licensing.services import activation as activation_services
from licensing.services import licenses as services
from tests.factories import UserFactory

from .factories import ActivationFactory, LicenseFactory, raises_code

pytestmark = pytest.mark.django_db

VALIDATE = "/api/v1/licenses/validate"


def rekey_url(license, slug="acme"):
    return f"/api/v1/workspaces/{slug}/licenses/{license.public_id}/rekey/"


def test_the_old_key_stops_validating_and_machines_are_released(workspace, admin, member):
    license = LicenseFactory(assignee=member)
    old_key = license.plaintext_key
    ActivationFactory(license=license, membership=member)

    license, new_key = services.license_rekey(license=license, actor=admin)

    assert new_key != old_key and license.key == new_key and license.key_suffix == new_key[-4:]
    assert activation_services.license_key_validate(key=old_key).code == "NOT_FOUND"
    assert activation_services.license_key_validate(key=new_key).code == "VALID"
    assert not Activation.objects.filter(license=license).exists()
    event = SecurityEvent.objects.get(action=SecurityAction.LICENSE_REKEYED)
    assert event.actor == admin.user
    assert event.detail == f"{license.public_id}: new key …{new_key[-4:]}, 1 machine(s) released"
    assert old_key not in event.detail and new_key not in event.detail


def test_machines_can_be_kept(workspace, admin):
    license = LicenseFactory(workspace=workspace)
    machine = ActivationFactory(license=license)
    services.license_rekey(license=license, actor=admin, keep_machines=True)
    assert list(Activation.objects.filter(license=license)) == [machine]


def test_members_need_manage_licenses_and_revoked_licenses_stay_revoked(workspace, member, admin, outsider):
    license = LicenseFactory(workspace=workspace)
    with raises_code("PERMISSION_DENIED"):
        services.license_rekey(license=license, actor=member)
    with raises_code("NOT_FOUND"):
        services.license_rekey(license=license, actor=outsider)
    revoked = LicenseFactory(workspace=workspace, status=LicenseStatus.REVOKED)
    with raises_code("LICENSE_REVOKED"):
        services.license_rekey(license=revoked, actor=admin)
    assert License.objects.get(pk=license.pk).key_hash == license.key_hash


def test_workspace_api_shows_the_new_key_once(client_for, admin, member, outsider, workspace):
    license = LicenseFactory(workspace=workspace)
    ActivationFactory(license=license)
    response = client_for(admin).post(rekey_url(license), {"keep_machines": True}, format="json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["license"]["id"] == license.public_id and body["new_key"].endswith(
        body["license"]["key_suffix"]
    )
    assert Activation.objects.filter(license=license).count() == 1
    assert client_for(member).post(rekey_url(license)).status_code == 403
    assert client_for(outsider).post(rekey_url(license)).status_code == 404
    bad = client_for(admin).post(rekey_url(license), {"keep_machines": "maybe"}, format="json")
    assert bad.status_code == 400 and "keep_machines" in bad.json()["fields"]


def test_staff_api_rekeys_and_the_old_key_fails_through_the_client_api(client_for, api_client, workspace):
    license = LicenseFactory(workspace=workspace)
    old_key = license.plaintext_key
    staff = client_for(UserFactory(email="support@keyward.test", is_staff=True))
    response = staff.post(f"/api/v1/staff/licenses/{license.public_id}/rekey/", {}, format="json")
    assert response.status_code == 200
    assert api_client.post(VALIDATE, {"key": old_key}, format="json").json()["code"] == "NOT_FOUND"
    assert (
        api_client.post(VALIDATE, {"key": response.json()["new_key"]}, format="json").json()["valid"] is True
    )


def test_admin_rekeys_one_license_and_never_deletes_one(workspace):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    license = LicenseFactory(workspace=workspace)
    changelist = reverse("admin:licensing_license_changelist")
    response = client.post(changelist, {"action": "rekey", "_selected_action": [license.pk]}, follow=True)
    page = response.content.decode()
    license.refresh_from_db()
    assert "License re-keyed" in page and license.key in page and license.plaintext_key not in page
    assert "delete_selected" not in client.get(changelist).content.decode()
    assert (
        client.post(reverse("admin:licensing_license_delete", args=[license.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert License.objects.filter(pk=license.pk).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"keep_machines": "\x00"},
        {"keep_machines": 10**100},
        {"keep_machines": [True]},
        {"keep_machines": {"a": {"b": {"c": {}}}}},
    ],
)
def test_rekey_refuses_bad_input_naming_the_field_and_changes_nothing(client_for, admin, workspace, payload):
    license = LicenseFactory(workspace=workspace)
    response = client_for(admin).post(rekey_url(license), payload, format="json")
    assert response.status_code == 400 and "keep_machines" in response.json()["fields"]
    assert License.objects.get(pk=license.pk).key_hash == license.key_hash


def test_rekey_survives_deeply_nested_json(client_for, admin, workspace):
    license = LicenseFactory(workspace=workspace)
    body = '{"keep_machines": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client_for(admin).post(rekey_url(license), body, content_type="application/json")
    assert response.status_code == 400
    assert License.objects.get(pk=license.pk).key_hash == license.key_hash


def test_the_dashboard_asks_then_shows_the_new_key_once(client, admin, member, workspace):
    license = LicenseFactory(workspace=workspace)
    ActivationFactory(license=license)
    url = reverse(
        "licensing:license_rekey", kwargs={"workspace_slug": "acme", "public_id": license.public_id}
    )
    detail = reverse(
        "licensing:license_detail", kwargs={"workspace_slug": "acme", "public_id": license.public_id}
    )
    client.force_login(admin.user)
    asked = client.post(url, {"keep_machines": "on"})
    assert asked.status_code == 200 and "Its machines stay activated." in asked.content.decode()
    assert License.objects.get(pk=license.pk).key_hash == license.key_hash  # nothing yet
    done = client.post(url, {"keep_machines": "on", "confirmed": "yes"})
    assert done.status_code == 302 and done["Location"] == detail
    license.refresh_from_db()
    page = client.get(detail).content.decode()
    assert 'data-testid="new-key"' in page and license.key in page
    assert 'data-testid="new-key"' not in client.get(detail).content.decode()  # once
    assert Activation.objects.filter(license=license).count() == 1
    client.force_login(member.user)
    assert client.post(url, {"confirmed": "yes"}).status_code == 302
    assert License.objects.get(pk=license.pk).key_hash == license.key_hash  # refused: no permission
