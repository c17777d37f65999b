"""Staff API under /api/v1/staff/: products, policies, licenses; staff session or a staff member's token."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from authtokens import services as token_services
from licensing.keys import hash_key
from licensing.models import METADATA_MAX_BYTES, License, LicenseStatus, Policy, Product
from tests.factories import MembershipFactory, UserFactory

from .factories import LicenseFactory, PolicyFactory, ProductFactory

pytestmark = pytest.mark.django_db

STAFF = "/api/v1/staff"


@pytest.fixture
def staff_user(db):
    return UserFactory(email="support@keyward.test", is_staff=True)


@pytest.fixture
def staff(client_for, staff_user):
    return client_for(staff_user)


@pytest.fixture
def policy():
    return PolicyFactory(key_prefix="EMU", duration=timedelta(days=365))


def bearer(plaintext):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


# ---------------------------------------------------------------- who may call


def test_non_staff_are_refused(client_for, owner, policy):
    for method, url in [("get", "/licenses/"), ("post", "/products/"), ("post", "/licenses/issue/")]:
        response = getattr(client_for(owner), method)(f"{STAFF}{url}", {}, format="json")
        assert response.status_code == 403, url
        assert response.json()["code"] == "PERMISSION_DENIED"
    assert APIClient().get(f"{STAFF}/licenses/").status_code in (401, 403)


def test_staff_developer_token_works_and_a_non_staff_token_does_not(staff_user, workspace, owner, policy):
    staff_membership = MembershipFactory(user=staff_user, workspace=workspace, role=Role.MEMBER)
    token = token_services.developer_token_rotate(actor=staff_membership).plaintext
    assert bearer(token).get(f"{STAFF}/licenses/").status_code == 200
    owner_token = token_services.developer_token_rotate(actor=owner).plaintext
    assert bearer(owner_token).get(f"{STAFF}/licenses/").status_code == 403
    ci = token_services.ci_token_create(actor=owner, name="deploy").plaintext
    assert bearer(ci).get(f"{STAFF}/licenses/").status_code == 403


# ---------------------------------------------------------------- products and policies


def test_create_product_and_policy(staff):
    response = staff.post(f"{STAFF}/products/", {"name": "Cloud Emulator", "code": "emulator"}, format="json")
    assert response.status_code == 201, response.json()
    response = staff.post(
        f"{STAFF}/policies/",
        {
            "product": "emulator",
            "name": "Pro",
            "duration_days": 365,
            "max_activations": 3,
            "heartbeat_interval_minutes": 60,
            "key_prefix": "emu",
            "allow_ci": True,
            "encrypted": True,
            "activation_instructions": "Run emulator login.",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["duration_days"] == 365 and body["offline_lifetime_hours"] == 24 and body["trial_days"] == 14
    assert body["heartbeat_interval_minutes"] == 60 and body["key_prefix"] == "EMU"
    policy = Policy.objects.get()
    assert policy.duration == timedelta(days=365) and policy.encrypted and policy.allow_ci
    listing = staff.get(f"{STAFF}/policies/?product=emulator").json()
    assert [p["name"] for p in listing["results"]] == ["Pro"]
    assert staff.get(f"{STAFF}/products/").json()["count"] == 1


def test_product_bad_input(staff):
    ProductFactory(code="emulator")
    taken = staff.post(f"{STAFF}/products/", {"name": "X", "code": "emulator"}, format="json")
    assert taken.status_code == 400 and taken.json()["code"] == "PRODUCT_CODE_TAKEN"
    assert "code" in taken.json()["fields"]
    missing = staff.post(f"{STAFF}/products/", {"code": "new"}, format="json")
    assert missing.status_code == 400 and "name" in missing.json()["fields"]
    assert Product.objects.count() == 1


def test_policy_bad_input_writes_nothing(staff):
    ProductFactory(code="emulator")
    for payload, field in [
        ({"name": "Pro"}, "product"),
        ({"product": "nope", "name": "Pro"}, "product"),
        ({"product": "emulator", "name": "Pro", "max_activations": 0}, "max_activations"),
        ({"product": "emulator", "name": "Pro", "duration_days": "long"}, "duration_days"),
        ({"product": "emulator", "name": 7}, "name"),
    ]:
        response = staff.post(f"{STAFF}/policies/", payload, format="json")
        assert response.status_code == 400 and field in response.json()["fields"], (payload, response.json())
    assert not Policy.objects.exists()


# ---------------------------------------------------------------- licenses


def test_create_a_license_with_a_generated_key(staff, staff_user, policy, workspace):
    response = staff.post(
        f"{STAFF}/licenses/",
        {"policy": policy.pk, "workspace": "acme", "name": "Acme seat", "metadata": {"order": 42}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["key"].startswith("EMU-")
    license = License.objects.get()
    assert license.key_hash == hash_key(body["key"])
    assert license.workspace == workspace and license.created_by == staff_user
    assert body["workspace"] == "acme" and body["created_by"] == staff_user.email
    assert body["metadata"] == {"order": 42} and body["source"] == "manual"


def test_create_a_userless_license_with_a_supplied_key(staff, policy):
    response = staff.post(
        f"{STAFF}/licenses/", {"policy": policy.pk, "key": "CUSTOM-KEY-1", "source": "import"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["key"] == "CUSTOM-KEY-1" and response.json()["workspace"] is None
    duplicate = staff.post(f"{STAFF}/licenses/", {"policy": policy.pk, "key": "CUSTOM-KEY-1"}, format="json")
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == "LICENSE_KEY_TAKEN" and "key" in duplicate.json()["fields"]
    assert License.objects.count() == 1


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "policy"),
        ({"policy": "x"}, "policy"),
        ({"policy": 999999}, "policy"),
        ({"key": 12345}, "key"),
        ({"key": ""}, "key"),
        ({"key": "with space"}, "key"),
        ({"metadata": "not an object"}, "metadata"),
        ({"metadata": {"blob": "x" * METADATA_MAX_BYTES}}, "metadata"),
        ({"workspace": "no-such-workspace"}, "workspace"),
        ({"workspace": 5}, "workspace"),
        ({"expires_at": "someday"}, "expires_at"),
        ({"source": "gift"}, "source"),
        ({"name": "n" * 151}, "name"),
    ],
)
def test_create_bad_input_names_the_field_and_writes_nothing(staff, policy, workspace, payload, field):
    data = {"policy": policy.pk, **payload}
    if field == "policy":
        data = {k: v for k, v in data.items() if k != "policy" or "policy" in payload}
    response = staff.post(f"{STAFF}/licenses/", data, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"], response.json()
    assert not License.objects.exists()


def test_issue_n_licenses_to_a_workspace(staff, policy, workspace):
    response = staff.post(
        f"{STAFF}/licenses/issue/", {"policy": policy.pk, "workspace": "acme", "count": 3}, format="json"
    )
    assert response.status_code == 201, response.json()
    keys = [row["key"] for row in response.json()["licenses"]]
    assert len(set(keys)) == 3
    assert License.objects.filter(workspace=workspace).count() == 3


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"count": 0}, "count"),
        ({"count": "many"}, "count"),
        ({"count": 1001}, "count"),
        ({"count": 2, "workspace": "nope"}, "workspace"),
        ({"count": 2, "workspace": None}, "workspace"),
    ],
)
def test_issue_bad_input(staff, policy, workspace, payload, field):
    data = {"policy": policy.pk, "workspace": "acme", **payload}
    response = staff.post(f"{STAFF}/licenses/issue/", data, format="json")
    assert response.status_code == 400 and field in response.json()["fields"], response.json()
    assert not License.objects.exists()


def test_suspend_reinstate_revoke_extend(staff):
    license = LicenseFactory(expires_at=timezone.now() + timedelta(days=10))
    url = f"{STAFF}/licenses/{license.public_id}"
    assert staff.post(f"{url}/suspend/").json()["status"] == "suspended"
    assert staff.post(f"{url}/reinstate/").json()["status"] == "active"
    not_suspended = staff.post(f"{url}/reinstate/")
    assert not_suspended.status_code == 409 and not_suspended.json()["code"] == "LICENSE_NOT_SUSPENDED"
    extended = staff.post(f"{url}/extend/", {"days": 30}, format="json")
    assert extended.status_code == 200
    license.refresh_from_db()
    assert license.expires_at > timezone.now() + timedelta(days=39)
    until = (timezone.now() + timedelta(days=500)).replace(microsecond=0)
    staff.post(f"{url}/extend/", {"until": until.isoformat()}, format="json")
    license.refresh_from_db()
    assert license.expires_at == until
    assert staff.post(f"{url}/revoke/").json()["status"] == "revoked"
    again = staff.post(f"{url}/suspend/")
    assert again.status_code == 409 and again.json()["code"] == "LICENSE_REVOKED"


def test_extend_bad_input(staff):
    license = LicenseFactory()
    url = f"{STAFF}/licenses/{license.public_id}/extend/"
    before = License.objects.get(pk=license.pk).expires_at
    for payload, field in [
        ({}, "until"),
        ({"days": 0}, "days"),
        ({"days": "ten"}, "days"),
        ({"until": "2020-01-01T00:00:00Z"}, "until"),
    ]:
        response = staff.post(url, payload, format="json")
        assert response.status_code == 400 and field in response.json()["fields"], (payload, response.json())
    assert License.objects.get(pk=license.pk).expires_at == before


def test_update_name_and_metadata(staff):
    license = LicenseFactory(name="old")
    url = f"{STAFF}/licenses/{license.public_id}/"
    response = staff.patch(url, {"name": "new", "metadata": {"tier": "gold"}}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "new"
    too_big = staff.patch(url, {"name": "newer", "metadata": {"x": "y" * METADATA_MAX_BYTES}}, format="json")
    assert too_big.status_code == 400 and too_big.json()["code"] == "METADATA_TOO_LARGE"
    license.refresh_from_db()
    assert license.name == "new" and license.metadata == {"tier": "gold"}


def test_list_filters_and_detail(staff, workspace, other_workspace):
    mine = LicenseFactory(workspace=workspace, key="KW-ZZZZ-7777")
    LicenseFactory(workspace=other_workspace)
    expired = LicenseFactory(workspace=other_workspace, expires_at=timezone.now() - timedelta(days=1))
    userless = LicenseFactory(workspace=None)

    def ids(query=""):
        return {row["id"] for row in staff.get(f"{STAFF}/licenses/?{query}").json()["results"]}

    assert len(ids()) == 4
    assert ids("workspace=acme") == {mine.public_id}
    assert ids("workspace=none") == {userless.public_id}
    assert ids("status=expired") == {expired.public_id}
    assert ids("search=7777") == {mine.public_id}
    assert staff.get(f"{STAFF}/licenses/?status=nope").status_code == 400
    assert staff.get(f"{STAFF}/licenses/?policy=abc").status_code == 400
    detail = staff.get(f"{STAFF}/licenses/{mine.public_id}/")
    assert detail.status_code == 200 and detail.json()["workspace"] == "acme"
    assert staff.get(f"{STAFF}/licenses/lic_doesnotexist/").status_code == 404


def test_staff_list_query_count_is_constant(staff, workspace, member, django_assert_max_num_queries):
    LicenseFactory(workspace=workspace, assignee=member)
    with django_assert_max_num_queries(6) as few:
        staff.get(f"{STAFF}/licenses/")
    for _ in range(12):
        LicenseFactory(workspace=workspace, assignee=member, status=LicenseStatus.SUSPENDED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff.get(f"{STAFF}/licenses/").json()["count"] == 13


def test_a_read_write_vendor_key_runs_every_staff_license_action(workspace):
    """A vendor key is nobody: the actions run, and their logs name no user instead of failing."""
    from rest_framework.test import APIClient

    from authtokens.models import SecurityAction, SecurityEvent, VendorApiKeyAccess
    from authtokens.vendor_keys import vendor_api_key_create
    from tests.factories import UserFactory
    from tests.licensing.factories import LicenseFactory

    staff = UserFactory(is_staff=True)
    key = vendor_api_key_create(created_by=staff, name="billing", access=VendorApiKeyAccess.READ_WRITE)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.plaintext}")
    license = LicenseFactory(workspace=workspace)
    url = f"/api/v1/staff/licenses/{license.public_id}/"

    answers = [client.patch(url, {"name": "renamed"}, format="json").status_code]
    for action, body in [("suspend/", {}), ("reinstate/", {}), ("rekey/", {}), ("extend/", {"days": 3})]:
        answers.append(client.post(url + action, body, format="json").status_code)
    answers.append(client.post(url + "revoke/", {}, format="json").status_code)

    assert answers == [200] * 6
    rekeyed = SecurityEvent.objects.get(action=SecurityAction.LICENSE_REKEYED)
    assert rekeyed.actor is None and rekeyed.actor_label == "Keyward"
