"""Input an attacker (or a buggy client) sends answers a clear 4xx in the JSON error format and
writes nothing: never a 500. One test per kind of input that used to answer 500 (issue 9)."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Workspace
from authtokens import services as token_services
from authtokens.models import AuthToken
from licensing.models import License, Policy
from tests.factories import UserFactory
from tests.licensing.factories import LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db

W = "/api/v1/workspaces/acme"


@pytest.fixture
def staff_client(db):
    client = APIClient()
    client.force_authenticate(user=UserFactory(is_staff=True))
    return client


def assert_refused(response, field=None, status=400):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["code"] and body["message"]
    if field:
        assert field in body["fields"], body


# ---------------------------------------------------------------- deeply nested JSON


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/licenses/validate",
        "/api/v1/licenses/activate",
        "/api/v1/client/activate",
        "/api/v1/secret-scanning/report",
        "/compat/dodo/licenses/validate",
        "/compat/dodo/licenses/activate",
    ],
)
def test_deeply_nested_json_is_a_400_on_public_endpoints(api_client, path):
    response = api_client.post(path, "[" * 1000, content_type="application/json")
    assert response.status_code in (400, 401, 403), response.content[:300]
    assert response.json()["code"]


def test_deeply_nested_json_is_a_400_on_workspace_endpoints(owner, client_for):
    response = client_for(owner).post(f"{W}/auth-tokens/ci/", "[" * 1000, content_type="application/json")
    assert_refused(response)


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize(
    "query, field",
    [
        ("assignee=abc", "assignee"),
        ("assignee=99999999999999999999999", "assignee"),
        ("search=a%00b", "search"),
        ("status=a%00b", "status"),
    ],
)
def test_bad_filters_on_the_workspace_license_list_name_the_parameter(owner, client_for, query, field):
    LicenseFactory(workspace=owner.workspace)
    assert_refused(client_for(owner).get(f"{W}/licenses/?{query}"), field)


@pytest.mark.parametrize(
    "query, field",
    [
        ("policy=abc", "policy"),
        ("policy=99999999999999999999999", "policy"),
        ("search=a%00b", "search"),
        ("workspace=a%00b", "workspace"),
    ],
)
def test_bad_filters_on_the_staff_license_list_name_the_parameter(staff_client, query, field):
    LicenseFactory()
    assert_refused(staff_client.get(f"/api/v1/staff/licenses/?{query}"), field)


@pytest.mark.parametrize(
    "path",
    [
        f"{W}/members/?search=a%00b",
        f"{W}/invitations/?search=a%00b",
        "/api/v1/staff/policies/?product=a%00b",
        "/compat/dodo/license_keys?customer_id=a%00b",
        "/compat/dodo/license_key_instances?license_key_id=a%00b",
    ],
)
def test_a_nul_byte_in_any_query_parameter_is_a_400(owner, staff_client, client_for, path):
    from authtokens.services import developer_token_rotate

    owner.user.is_staff = True
    owner.user.save()
    client = client_for(owner)
    if path.startswith("/compat/"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {developer_token_rotate(actor=owner).plaintext}")
    response = client.get(path)
    assert_refused(response)
    assert "\\u0000" in response.json()["message"] or "NUL" in response.json()["message"]


def test_a_nul_byte_in_a_dashboard_query_is_a_400_not_a_500(owner):
    from django.test import Client

    client = Client()
    client.force_login(owner.user)
    assert client.get("/w/acme/members/?q=a%00b").status_code == 400


@pytest.mark.parametrize("path", [f"{W}/licenses/", "/api/v1/staff/licenses/"])
@pytest.mark.parametrize("product", ["%C2%B2", "99999999999999999999999"])
def test_a_product_filter_that_only_looks_like_an_id_matches_no_code(owner, client_for, path, product):
    # `product` takes a code or an id: "²" passes str.isdigit() but int() rejects it, so it is a code.
    owner.user.is_staff = True
    owner.user.save()
    LicenseFactory(workspace=owner.workspace)
    response = client_for(owner).get(f"{path}?product={product}")
    assert response.status_code == 200 and response.json()["results"] == []


# ---------------------------------------------------------------- OPTIONS


LIST_PATHS = [
    f"{W}/members/",
    f"{W}/invitations/",
    f"{W}/licenses/",
    f"{W}/auth-tokens/ci/",
    f"{W}/security-log/",
    f"{W}/parameters/",
    f"{W}/webhooks/endpoints/",
    "/api/v1/workspaces/",
    "/api/v1/invitations/",
    "/api/v1/staff/products/",
    "/api/v1/staff/policies/",
    "/api/v1/staff/licenses/",
    "/api/v1/staff/webhooks/endpoints/",
    "/api/v1/webhooks/event-types/",
]


@pytest.mark.parametrize("path", LIST_PATHS)
def test_options_on_list_views_answers_200(owner, client_for, path):
    owner.user.is_staff = True
    owner.user.save()
    response = client_for(owner).options(path)
    assert response.status_code == 200, response.content[:300]
    assert response.json()["name"]


# ---------------------------------------------------------------- numbers that overflow


@pytest.mark.parametrize(
    "field, value",
    [
        ("duration_days", 1e9),
        ("offline_lifetime_hours", 1e12),
        ("max_activations", 2**31),
        ("trial_days", 2**63),
        ("heartbeat_interval_minutes", 10**30),
    ],
)
def test_overflowing_policy_numbers_are_a_400_naming_the_field(staff_client, field, value):
    product = PolicyFactory().product
    before = Policy.objects.count()
    body = {"product": product.code, "name": "Huge", field: value}
    assert_refused(staff_client.post("/api/v1/staff/policies/", body, format="json"), field)
    assert Policy.objects.count() == before


def test_an_overflowing_member_id_is_a_400(owner, client_for):
    license = LicenseFactory(workspace=owner.workspace)
    response = client_for(owner).post(
        f"{W}/licenses/{license.public_id}/assign/", {"member": 2**70}, format="json"
    )
    assert_refused(response, "member")


@pytest.fixture
def dodo_staff(owner):
    owner.user.is_staff = True
    owner.user.save()
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {token_services.developer_token_rotate(actor=owner).plaintext}"
    )
    return client


def test_a_huge_dodo_page_number_is_a_400(dodo_staff):
    for path in ("/compat/dodo/license_keys", "/compat/dodo/license_key_instances"):
        response = dodo_staff.get(f"{path}?page_number={10**18}")
        assert response.status_code == 422 or response.status_code == 400, response.content[:300]
        assert "page_number" in response.content.decode()


def test_a_huge_dodo_activations_limit_is_refused(dodo_staff, owner):
    PolicyFactory(product__code="app")
    before = License.objects.count()
    response = dodo_staff.post(
        "/compat/dodo/license_keys",
        {"customer_id": "acme", "key": "KW-HUGE-LIMIT-0001", "product_id": "app", "activations_limit": 2**40},
        format="json",
    )
    assert response.status_code in (400, 422), response.content[:300]
    assert "activations_limit" in response.content.decode()
    assert License.objects.count() == before


# ---------------------------------------------------------------- NUL and control characters


def test_nul_inside_metadata_is_a_400_naming_the_path(staff_client):
    policy = PolicyFactory()
    before = License.objects.count()
    response = staff_client.post(
        "/api/v1/staff/licenses/",
        {"policy": policy.pk, "metadata": {"note": ["ok", "a\u0000b"]}},
        format="json",
    )
    assert_refused(response, "metadata.note.1")
    assert License.objects.count() == before


def test_nul_in_a_metadata_key_is_a_400(staff_client):
    policy = PolicyFactory()
    response = staff_client.post(
        "/api/v1/staff/licenses/", {"policy": policy.pk, "metadata": {"a\u0000": 1}}, format="json"
    )
    assert_refused(response, "metadata")


@pytest.mark.parametrize("path", ["/api/v1/licenses/validate", "/compat/dodo/licenses/validate"])
def test_nul_in_a_public_license_key_is_a_400(api_client, path):
    response = api_client.post(path, {"license_key": "KW-\u0000", "key": "KW-\u0000"}, format="json")
    assert response.status_code in (400, 422)


@pytest.mark.parametrize("name", ["Evil\r\nBcc: victim@example.com", "tab\there", "bell\x07", "nul\x00"])
def test_control_characters_in_a_workspace_name_are_refused(owner, client_for, name):
    response = client_for(owner).patch(f"{W}/", {"name": name}, format="json")
    assert_refused(response, "name")
    assert Workspace.objects.get(pk=owner.workspace_id).name == "Acme"


def test_control_characters_in_a_new_workspace_name_are_refused(owner, client_for):
    before = Workspace.objects.count()
    assert_refused(client_for(owner).post("/api/v1/workspaces/", {"name": "A\nB"}, format="json"), "name")
    assert Workspace.objects.count() == before


@pytest.mark.parametrize("field", ["name", "label"])
def test_control_characters_in_ci_token_names_and_labels_are_refused(owner, client_for, field):
    body = {"name": "deploy", field: "line\r\nbreak"}
    assert_refused(client_for(owner).post(f"{W}/auth-tokens/ci/", body, format="json"), field)
    assert not AuthToken.objects.filter(kind="ci").exists()


def test_control_characters_are_refused_when_renaming_a_ci_token(owner, client_for):
    issued = token_services.ci_token_create(actor=owner, name="deploy")
    response = client_for(owner).patch(
        f"{W}/auth-tokens/ci/{issued.token.public_id}/", {"name": "x\ny"}, format="json"
    )
    assert_refused(response, "name")


def test_control_characters_in_the_dashboard_workspace_form_are_refused(owner):
    from django.test import Client

    client = Client()
    client.force_login(owner.user)
    client.post("/w/acme/settings/", {"name": "Evil\r\nName"})
    assert Workspace.objects.get(pk=owner.workspace_id).name == "Acme"


# ---------------------------------------------------------------- /api/ answers JSON


def test_unknown_api_paths_answer_a_json_404(api_client):
    for path in ("/api/v1/no-such-thing/", "/api/nothing", "/compat/dodo/nothing"):
        response = api_client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] == "NOT_FOUND"


def test_an_oversized_body_is_a_json_413_and_writes_nothing(owner, client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(owner).post(f"{W}/auth-tokens/ci/", {"name": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "REQUEST_TOO_LARGE"
    assert not AuthToken.objects.filter(kind="ci").exists()


def test_an_unsupported_media_type_is_a_json_415(owner, client_for):
    response = client_for(owner).post(f"{W}/auth-tokens/ci/", b"name=x", content_type="text/csv")
    assert response.status_code == 415
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_extending_past_the_last_representable_date_is_a_400(staff_client):
    from datetime import UTC, datetime

    license = LicenseFactory(expires_at=datetime(9999, 12, 1, tzinfo=UTC))
    response = staff_client.post(
        f"/api/v1/staff/licenses/{license.public_id}/extend/", {"days": 36500}, format="json"
    )
    assert_refused(response)
    license.refresh_from_db()
    assert license.expires_at.year == 9999
