"""Workspace licensing API: /api/v1/workspaces/<slug>/licenses/..., trial, license status."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from authtokens import services as token_services
from licensing.models import Activation, License, LicenseStatus

from .factories import ActivationFactory, LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/workspaces/acme"


def bearer(plaintext):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.fixture
def seat(workspace, member):
    license = LicenseFactory(workspace=workspace, assignee=member, name="Member seat")
    ActivationFactory(license=license, membership=member, name="laptop")
    return license


@pytest.fixture
def free(workspace):
    return LicenseFactory(workspace=workspace)


# ---------------------------------------------------------------- list and detail


def test_admin_lists_every_license_with_its_fields(client_for, admin, seat, free):
    response = client_for(admin).get(f"{BASE}/licenses/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    row = next(r for r in body["results"] if r["id"] == seat.public_id)
    assert row["key"] == seat.plaintext_key
    assert row["key_suffix"] == seat.plaintext_key[-4:]
    assert row["status"] == "active"
    assert row["assignee"]["email"] == "member@acme.test"
    assert row["product"]["code"] == seat.policy.product.code
    assert row["policy"]["max_activations"] == seat.policy.max_activations


def test_member_without_manage_licenses_sees_only_their_own(client_for, member, seat, free):
    response = client_for(member).get(f"{BASE}/licenses/")
    assert [r["id"] for r in response.json()["results"]] == [seat.public_id]
    assert client_for(member).get(f"{BASE}/licenses/{free.public_id}/").status_code == 404
    assert client_for(member).get(f"{BASE}/licenses/{seat.public_id}/").status_code == 200


def test_list_filters(client_for, admin, workspace, seat, free):
    expired = LicenseFactory(workspace=workspace, expires_at=timezone.now() - timedelta(days=1))
    client = client_for(admin)

    def ids(query):
        return {r["id"] for r in client.get(f"{BASE}/licenses/?{query}").json()["results"]}

    assert ids("status=expired") == {expired.public_id}
    assert ids("status=active") == {seat.public_id, free.public_id}
    assert ids("assignee=none") == {free.public_id, expired.public_id}
    assert ids(f"assignee={seat.assignee_id}") == {seat.public_id}
    assert ids(f"search={free.plaintext_key[-4:]}") == {free.public_id}
    assert ids(f"product={seat.policy.product.code}") == {seat.public_id}
    bad = client.get(f"{BASE}/licenses/?status=bogus")
    assert bad.status_code == 400 and "status" in bad.json()["fields"]


def test_an_expired_license_shows_expired(client_for, admin, workspace):
    LicenseFactory(workspace=workspace, expires_at=timezone.now() - timedelta(days=1))
    assert client_for(admin).get(f"{BASE}/licenses/").json()["results"][0]["status"] == "expired"


def test_encrypted_keys_are_never_returned(client_for, admin, workspace):
    LicenseFactory(workspace=workspace, policy=PolicyFactory(encrypted=True))
    row = client_for(admin).get(f"{BASE}/licenses/").json()["results"][0]
    assert row["key"] is None and row["key_suffix"]


def test_detail_lists_activations(client_for, admin, seat):
    body = client_for(admin).get(f"{BASE}/licenses/{seat.public_id}/").json()
    assert [a["name"] for a in body["activations"]] == ["laptop"]
    assert body["activations"][0]["member"] == "member@acme.test"


def test_list_query_count_is_constant(client_for, admin, workspace, member, django_assert_max_num_queries):
    client = client_for(admin)
    for _ in range(2):
        LicenseFactory(workspace=workspace, assignee=member)
    with django_assert_max_num_queries(8) as few:
        client.get(f"{BASE}/licenses/")
    for _ in range(15):
        LicenseFactory(workspace=workspace)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"{BASE}/licenses/")
    assert response.json()["count"] == 17


# ---------------------------------------------------------------- assign / unassign / machines


def test_admin_assigns_and_unassigns(client_for, admin, member, free):
    client = client_for(admin)
    response = client.post(f"{BASE}/licenses/{free.public_id}/assign/", {"member": member.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["assignee"]["id"] == member.pk
    response = client.post(f"{BASE}/licenses/{free.public_id}/unassign/")
    assert response.status_code == 200 and response.json()["assignee"] is None


@pytest.mark.parametrize(
    "payload", [{}, {"member": "abc"}, {"member": None}, {"member": True}, {"member": [1]}]
)
def test_assign_bad_input_names_the_field_and_writes_nothing(client_for, admin, free, payload):
    response = client_for(admin).post(f"{BASE}/licenses/{free.public_id}/assign/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID" and "member" in response.json()["fields"]
    assert License.objects.get(pk=free.pk).assignee is None


def test_assign_to_someone_outside_the_workspace(client_for, admin, free, outsider):
    response = client_for(admin).post(
        f"{BASE}/licenses/{free.public_id}/assign/", {"member": outsider.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "MEMBER_NOT_FOUND" and "member" in response.json()["fields"]
    assert License.objects.get(pk=free.pk).assignee is None


def test_assign_errors_map_to_statuses(client_for, admin, member, seat, free):
    client = client_for(admin)
    taken = client.post(f"{BASE}/licenses/{seat.public_id}/assign/", {"member": admin.pk}, format="json")
    assert taken.status_code == 409 and taken.json()["code"] == "LICENSE_ALREADY_ASSIGNED"
    forbidden = client_for(member).post(f"{BASE}/licenses/{free.public_id}/assign/", {"member": member.pk})
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "PERMISSION_DENIED"


def test_admin_deactivates_a_machine(client_for, admin, member, seat):
    activation = seat.activations.get()
    url = f"{BASE}/licenses/{seat.public_id}/activations/{activation.public_id}/"
    admins_machine = ActivationFactory(license=seat, membership=admin)
    others = f"{BASE}/licenses/{seat.public_id}/activations/{admins_machine.public_id}/"
    assert client_for(member).delete(others).status_code == 403  # not theirs
    assert client_for(admin).delete(others).status_code == 204
    assert client_for(admin).delete(url).status_code == 204
    assert not Activation.objects.exists()
    assert client_for(admin).delete(url).status_code == 404


def test_a_member_releases_their_own_machine_through_the_api_too(client_for, member, seat):
    activation = seat.activations.get()  # activated by the member
    url = f"{BASE}/licenses/{seat.public_id}/activations/{activation.public_id}/"
    assert client_for(member).delete(url).status_code == 204
    assert not Activation.objects.exists()


# ---------------------------------------------------------------- trial


def test_trial_start_via_api(client_for, member, admin):
    PolicyFactory(trial_available=True)
    response = client_for(member).post(f"{BASE}/licenses/trial/")
    assert response.status_code == 201 and response.json()["is_trial"] is True
    again = client_for(admin).post(f"{BASE}/licenses/trial/")
    assert again.status_code == 409 and again.json()["code"] == "TRIAL_ALREADY_USED"


# ---------------------------------------------------------------- license status


def test_license_status_for_a_member(client_for, member, seat):
    body = client_for(member).get(f"{BASE}/license-status/").json()
    assert body["licensed"] is True and body["code"] == "VALID"
    assert body["message"] == "The license is valid."
    assert body["member"] == "member@acme.test" and body["license"]["id"] == seat.public_id
    assert "key" not in body["license"]


@pytest.mark.parametrize(
    "change, code",
    [
        ({"status": LicenseStatus.SUSPENDED}, "LICENSE_SUSPENDED"),
        ({"status": LicenseStatus.REVOKED}, "LICENSE_REVOKED"),
        ({"expires_at": timezone.now() - timedelta(days=1)}, "LICENSE_EXPIRED"),
    ],
)
def test_license_status_explains_an_unusable_seat(client_for, member, seat, change, code):
    License.objects.filter(pk=seat.pk).update(**change)
    body = client_for(member).get(f"{BASE}/license-status/").json()
    assert body["licensed"] is False and body["code"] == code


def test_license_status_names_the_best_of_a_members_unusable_seats_not_the_newest(
    client_for, workspace, member
):
    """A suspended seat can be reinstated, a revoked one cannot: the member is told about the former."""
    suspended = LicenseFactory(workspace=workspace, assignee=member, status=LicenseStatus.SUSPENDED)
    LicenseFactory(workspace=workspace, assignee=member, status=LicenseStatus.REVOKED)
    License.objects.filter(pk=suspended.pk).update(created_at=timezone.now() - timedelta(days=1))
    body = client_for(member).get(f"{BASE}/license-status/").json()
    assert (body["code"], body["license"]["id"]) == ("LICENSE_SUSPENDED", suspended.public_id)
    assert body["message"] == "The license is suspended; ask the vendor to reinstate it."


def test_a_member_whose_seat_was_revoked_is_told_about_the_seat_not_the_expired_trial_before_it(
    client_for, member
):
    from licensing.services import licenses as license_services

    PolicyFactory(trial_available=True)
    trial = license_services.workspace_trial_start(actor=member)
    seat = LicenseFactory(workspace=member.workspace, assignee=member)
    license_services.license_revoke(license=seat)
    License.objects.filter(pk=trial.pk).update(expires_at=timezone.now() - timedelta(days=1))

    body = client_for(member).get(f"{BASE}/license-status/").json()

    assert (body["code"], body["license"]["id"]) == ("LICENSE_REVOKED", seat.public_id)


def test_license_status_without_a_seat(client_for, admin, seat):
    body = client_for(admin).get(f"{BASE}/license-status/").json()
    assert body["licensed"] is False and body["code"] == "LICENSE_NOT_ASSIGNED" and body["license"] is None


def test_license_status_with_a_developer_token(member, seat):
    token = token_services.developer_token_rotate(actor=member).plaintext
    body = bearer(token).get(f"{BASE}/license-status/").json()
    assert body["code"] == "VALID" and body["member"] == "member@acme.test"


def test_a_seatless_developer_token_hears_one_refusal_from_license_status_and_the_client_api(admin, seat):
    """Both doors ask the one entitlement rule, as the same caller: a developer token."""
    token = token_services.developer_token_rotate(actor=admin).plaintext
    status = bearer(token).get(f"{BASE}/license-status/").json()
    body = {"product": seat.policy.product.code, "machine": {"fingerprint": "fp-1"}}
    activate = bearer(token).post("/api/v1/client/activate", body, format="json").json()

    assert (status["code"], status["message"]) == (activate["code"], activate["message"])
    assert status["message"].startswith("Your token is valid but no license is assigned to you")


def test_license_status_with_a_ci_token(workspace, owner):
    token = token_services.ci_token_create(actor=owner, name="deploy").plaintext
    client = bearer(token)
    LicenseFactory(workspace=workspace, policy=PolicyFactory(allow_ci=False))
    body = client.get(f"{BASE}/license-status/").json()
    assert body["member"] is None and body["code"] == "LICENSE_NOT_ASSIGNED"
    ci_license = LicenseFactory(workspace=workspace, policy=PolicyFactory(allow_ci=True))
    body = client.get(f"{BASE}/license-status/").json()
    assert body["licensed"] is True and body["license"]["id"] == ci_license.public_id
    # Everything else in the workspace API is closed to CI tokens.
    assert client.get(f"{BASE}/licenses/").status_code == 403


def test_a_ci_token_without_a_ci_license_is_told_so_naming_the_product_only_when_it_asked(workspace, owner):
    token = token_services.ci_token_create(actor=owner, name="deploy").plaintext
    LicenseFactory(workspace=workspace, policy=PolicyFactory(product__code="emulator", allow_ci=False))
    fix = "allows CI tokens; ask your workspace admin for a license whose plan allows CI."

    any_product = bearer(token).get(f"{BASE}/license-status/").json()
    emulator = bearer(token).get(f"{BASE}/license-status/", {"product": "emulator"}).json()

    assert any_product["code"] == emulator["code"] == "LICENSE_NOT_ASSIGNED"
    assert any_product["message"] == f"No license of this workspace {fix}"
    assert emulator["message"] == f"No license of this workspace for emulator {fix}"


def test_a_ci_token_asking_for_a_product_runs_only_under_that_products_license(workspace, owner):
    token = token_services.ci_token_create(actor=owner, name="deploy").plaintext
    other = LicenseFactory(workspace=workspace, policy=PolicyFactory(product__code="other", allow_ci=True))
    License.objects.filter(pk=other.pk).update(created_at=timezone.now() - timedelta(days=1))

    before = bearer(token).get(f"{BASE}/license-status/", {"product": "emulator"}).json()
    emulator = LicenseFactory(
        workspace=workspace, policy=PolicyFactory(product__code="emulator", allow_ci=True)
    )
    after = bearer(token).get(f"{BASE}/license-status/", {"product": "emulator"}).json()

    assert (before["licensed"], before["code"], before["license"]) == (False, "PRODUCT_MISMATCH", None)
    assert before["message"] == "This license is for other, not emulator; use a license for emulator."
    assert (after["licensed"], after["license"]["id"]) == (True, emulator.public_id)


def test_ci_token_of_another_workspace_gets_404(make_member, other_workspace):
    other_owner = make_member(other_workspace, Role.OWNER)
    token = token_services.ci_token_create(actor=other_owner, name="deploy").plaintext
    assert bearer(token).get(f"{BASE}/license-status/").status_code == 404


# ---------------------------------------------------------------- tenancy


def test_every_endpoint_is_404_for_another_workspaces_member(client_for, outsider, seat, free):
    activation = seat.activations.get()
    client = client_for(outsider)
    calls = [
        ("get", f"{BASE}/licenses/", None),
        ("get", f"{BASE}/licenses/{seat.public_id}/", None),
        ("post", f"{BASE}/licenses/{free.public_id}/assign/", {"member": outsider.pk}),
        ("post", f"{BASE}/licenses/{seat.public_id}/unassign/", None),
        ("delete", f"{BASE}/licenses/{seat.public_id}/activations/{activation.public_id}/", None),
        ("post", f"{BASE}/licenses/trial/", None),
        ("get", f"{BASE}/license-status/", None),
    ]
    for method, url, data in calls:
        response = getattr(client, method)(url, data, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    seat.refresh_from_db()
    assert seat.assignee is not None and Activation.objects.count() == 1
    assert License.objects.get(pk=free.pk).assignee is None


def test_own_workspace_license_id_from_another_workspace_is_404(client_for, admin, other_workspace):
    foreign = LicenseFactory(workspace=other_workspace)
    assert client_for(admin).get(f"{BASE}/licenses/{foreign.public_id}/").status_code == 404
    response = client_for(admin).post(f"{BASE}/licenses/{foreign.public_id}/unassign/")
    assert response.status_code == 404


def test_anonymous_callers_are_refused(seat):
    assert APIClient().get(f"{BASE}/licenses/").status_code in (401, 403)
