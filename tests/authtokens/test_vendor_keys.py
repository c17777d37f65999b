"""Vendor API keys (kw_api_…): staff-made, shown once, hashed, read-only or read-write, revocable,
and never a workspace credential."""

import pytest
from rest_framework.test import APIClient

from authtokens import tokens, vendor_keys
from authtokens.models import VendorApiKey
from licensing.models import Product
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user():
    return UserFactory(email="staff@keyward.test", is_staff=True)


def bearer(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def make_key(staff_user, access="read_write", **kwargs):
    return vendor_keys.vendor_api_key_create(
        created_by=staff_user, name="billing bot", access=access, **kwargs
    )


def test_staff_create_a_key_shown_once_and_hashed(client_for, staff_user):
    response = client_for(staff_user).post(
        "/api/v1/staff/api-keys/", {"name": "CI billing", "access": "read"}, format="json"
    )
    assert response.status_code == 201, response.content
    raw = response.json()["key"]
    assert raw.startswith("kw_api_") and tokens.parse_kind(raw) == "api"
    stored = VendorApiKey.objects.get()
    assert stored.token_hash == tokens.hash_token(raw) and stored.last4 == raw[-4:]
    assert raw not in str(VendorApiKey.objects.values().get())
    listed = client_for(staff_user).get("/api/v1/staff/api-keys/").json()["results"]
    assert "key" not in listed[0] and listed[0]["masked"].endswith(raw[-4:])


def test_non_staff_cannot_create_keys(client_for, owner):
    response = client_for(owner).post("/api/v1/staff/api-keys/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert VendorApiKey.objects.count() == 0


def test_a_read_write_key_uses_the_staff_api_and_its_use_is_counted(staff_user):
    issued = make_key(staff_user)
    client = bearer(issued.plaintext)
    assert client.get("/api/v1/staff/products/").status_code == 200
    response = client.post("/api/v1/staff/products/", {"name": "Tool", "code": "tool"}, format="json")
    assert response.status_code == 201
    assert Product.objects.filter(code="tool").exists()
    issued.key.refresh_from_db()
    assert (
        issued.key.use_count == 2
        and issued.key.last_used_at is not None
        and issued.key.last_used_ip == "127.0.0.1"
    )


def test_a_read_only_key_reads_and_is_refused_on_writes(staff_user):
    client = bearer(make_key(staff_user, access="read").plaintext)
    assert client.get("/api/v1/staff/licenses/").status_code == 200
    response = client.post("/api/v1/staff/products/", {"name": "Tool", "code": "tool"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "VENDOR_KEY_READ_ONLY"
    assert not Product.objects.filter(code="tool").exists()


def test_a_key_cannot_make_another_key(staff_user):
    response = bearer(make_key(staff_user).plaintext).post(
        "/api/v1/staff/api-keys/", {"name": "x"}, format="json"
    )
    assert response.status_code == 403
    assert VendorApiKey.objects.count() == 1


def test_a_revoked_key_is_401(staff_user, client_for):
    issued = make_key(staff_user)
    response = client_for(staff_user).post(f"/api/v1/staff/api-keys/{issued.key.public_id}/revoke/")
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    response = bearer(issued.plaintext).get("/api/v1/staff/products/")
    assert response.status_code == 401 and response.json()["code"] == "TOKEN_INVALID"


def test_an_expired_key_is_401(staff_user):
    from datetime import timedelta

    from django.utils import timezone

    issued = make_key(staff_user, expires_at=timezone.now() + timedelta(days=1))
    VendorApiKey.objects.filter(pk=issued.key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(issued.plaintext).get("/api/v1/staff/products/").status_code == 401


def test_a_typo_is_refused_before_any_query(staff_user, django_assert_num_queries):
    raw = make_key(staff_user).plaintext
    typo = raw[:-1] + ("a" if raw[-1] != "a" else "b")
    with django_assert_num_queries(0):
        response = bearer(typo).get("/api/v1/staff/products/")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/workspaces/acme/licenses/",
        "/api/v1/workspaces/acme/members/",
        "/api/v1/workspaces/acme/parameters/",
        "/api/v1/client/info",
    ],
)
def test_never_accepted_on_workspace_endpoints(staff_user, workspace, owner, url):
    response = bearer(make_key(staff_user).plaintext).get(url)
    assert response.status_code in (401, 403)
    assert response.status_code != 200


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": ""}, "name"),
        ({"name": "x", "access": "admin"}, "access"),
        ({"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "x\x00"}, "name"),
        ({"name": ["x"]}, "name"),
    ],
)
def test_bad_input_names_the_field(client_for, staff_user, payload, field):
    response = client_for(staff_user).post("/api/v1/staff/api-keys/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert VendorApiKey.objects.count() == 0


def test_a_read_write_key_creates_licenses_through_the_staff_api(staff_user):
    from licensing.models import License
    from tests.licensing.factories import PolicyFactory

    policy = PolicyFactory()
    response = bearer(make_key(staff_user).plaintext).post(
        "/api/v1/staff/licenses/", {"policy": policy.pk, "key": "VENDOR-MADE-1"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert License.objects.get(key="VENDOR-MADE-1").created_by is None


def test_a_read_only_key_lists_grants_but_cannot_fulfil_import_or_write_through_dodo(staff_user):
    client = bearer(make_key(staff_user, access="read").plaintext)
    assert client.get("/api/v1/staff/grants/").status_code == 200
    assert client.get("/compat/dodo/license_keys").status_code == 200
    refused = [
        client.post("/api/v1/staff/grants/grt_x/license-key/", {"key": "K"}, format="json"),
        client.post("/api/v1/staff/licenses/import/", [{"key": "K", "product": "p"}], format="json"),
        client.post(
            "/compat/dodo/license_keys", {"customer_id": "c", "key": "K", "product_id": "p"}, format="json"
        ),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert {r.json()["code"] for r in refused} == {"VENDOR_KEY_READ_ONLY"}
