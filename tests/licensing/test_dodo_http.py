"""/compat/dodo/ over plain HTTP: bad input gets a 400 naming Dodo's field and writes nothing."""

import pytest

from accounts.models import User
from licensing.models import Activation, License, LicenseValidationDay, Policy
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory, ProductFactory

BASE = "/compat/dodo"


@pytest.fixture
def policy(db):
    return PolicyFactory(product=ProductFactory(name="Emulator", code="emulator"), max_activations=2)


@pytest.fixture
def license(policy, workspace):
    return LicenseFactory(policy=policy, workspace=workspace)


@pytest.fixture
def staff_client(client_for, db):
    return client_for(User.objects.create_user("staff@vendor.test", "x", is_staff=True))


def assert_nothing_written(license_count=1):
    assert License.objects.count() == license_count
    assert not Activation.objects.exists()
    assert not LicenseValidationDay.objects.exists()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("licenses/activate", {"name": "x"}, "license_key"),
        ("licenses/activate", {"license_key": 123, "name": "x"}, "license_key"),
        ("licenses/activate", {"license_key": "K"}, "name"),
        ("licenses/activate", {"license_key": "K", "name": ["x"]}, "name"),
        ("licenses/activate", {"license_key": "K", "name": "x" * 151}, "name"),
        ("licenses/activate", {"license_key": "K", "name": "x", "fingerprint": 7}, "fingerprint"),
        ("licenses/validate", {}, "license_key"),
        ("licenses/validate", {"license_key": "K" * 129}, "license_key"),
        ("licenses/validate", {"license_key": "K", "license_key_instance_id": 5}, "license_key_instance_id"),
        ("licenses/deactivate", {"license_key": "K"}, "license_key_instance_id"),
        ("licenses/deactivate", {"license_key": None, "license_key_instance_id": "act_1"}, "license_key"),
    ],
)
def test_public_calls_refuse_bad_input(api_client, license, path, body, field):
    response = api_client.post(f"{BASE}/{path}", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID"
    assert field in response.json()["fields"]
    assert_nothing_written()


def test_public_calls_ignore_the_authorization_header(api_client, license):
    response = api_client.post(
        f"{BASE}/licenses/validate",
        {"license_key": license.plaintext_key},
        format="json",
        HTTP_AUTHORIZATION="Bearer kw_dev_this_is_not_a_real_token",
    )
    assert response.status_code == 200
    assert response.json() == {"valid": True}


def test_malformed_json_is_400(api_client, license):
    response = api_client.post(f"{BASE}/licenses/validate", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert_nothing_written()


def test_deactivate_answers_an_empty_200(api_client, license):
    activation = ActivationFactory(license=license)
    response = api_client.post(
        f"{BASE}/licenses/deactivate",
        {"license_key": license.plaintext_key, "license_key_instance_id": activation.public_id},
        format="json",
    )
    assert response.status_code == 200 and response.content == b""
    assert not Activation.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "K-1", "product_id": "emulator"}, "customer_id"),
        ({"customer_id": "acme", "product_id": "emulator"}, "key"),
        ({"customer_id": "acme", "key": "K-1"}, "product_id"),
        ({"customer_id": "acme", "key": 12345, "product_id": "emulator"}, "key"),
        (
            {"customer_id": "acme", "key": "K-1", "product_id": "emulator", "activations_limit": "3"},
            "activations_limit",
        ),
        (
            {"customer_id": "acme", "key": "K-1", "product_id": "emulator", "activations_limit": 0},
            "activations_limit",
        ),
        ({"customer_id": "acme", "key": "K-1", "product_id": "emulator", "expires_at": "soon"}, "expires_at"),
        ({"customer_id": "acme", "key": "K " * 70, "product_id": "emulator"}, "key"),
        ({"customer_id": "acme", "key": "has space", "product_id": "emulator"}, "key"),
    ],
)
def test_create_license_key_refuses_bad_input(staff_client, license, body, field):
    response = staff_client.post(f"{BASE}/license_keys", body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert_nothing_written()
    assert Policy.objects.count() == 1


def test_create_license_key_with_an_unknown_product_is_404_naming_the_field(staff_client, license):
    response = staff_client.post(
        f"{BASE}/license_keys", {"customer_id": "acme", "key": "K-1", "product_id": "nope"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["fields"] == {"product_id": [response.json()["message"]]}
    assert_nothing_written()


def test_create_license_key_with_a_taken_key_is_refused(staff_client, license):
    response = staff_client.post(
        f"{BASE}/license_keys",
        {
            "customer_id": "acme",
            "key": license.plaintext_key,
            "product_id": "emulator",
            "activations_limit": 9,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "LICENSE_KEY_TAKEN"
    assert "key" in response.json()["fields"]
    assert_nothing_written()
    assert Policy.objects.count() == 1  # the policy for 9 machines was rolled back with the key


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"disabled": "yes"}, "disabled"),
        ({"disabled": 1}, "disabled"),
        ({"activations_limit": -1}, "activations_limit"),
        ({"activations_limit": True}, "activations_limit"),
        ({"expires_at": 12}, "expires_at"),
    ],
)
def test_update_license_key_refuses_bad_input(staff_client, license, body, field):
    before = License.objects.values().get(pk=license.pk)
    response = staff_client.patch(f"{BASE}/license_keys/{license.public_id}", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert License.objects.values().get(pk=license.pk) == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=101", "page_size"),
        ("page_size=ten", "page_size"),
        ("page_number=-1", "page_number"),
        ("status=suspended", "status"),
        ("source=shop", "source"),
        ("created_at_gte=yesterday", "created_at_gte"),
    ],
)
def test_list_license_keys_refuses_bad_query(staff_client, license, query, field):
    response = staff_client.get(f"{BASE}/license_keys?{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_update_instance_refuses_bad_input(staff_client, license):
    activation = ActivationFactory(license=license, name="before")
    for body in ({}, {"name": 5}, {"name": "x" * 151}):
        response = staff_client.patch(
            f"{BASE}/license_key_instances/{activation.public_id}", body, format="json"
        )
        assert response.status_code == 400
        assert "name" in response.json()["fields"]
    activation.refresh_from_db()
    assert activation.name == "before"


def test_lists_run_a_constant_number_of_queries(
    staff_client, policy, workspace, django_assert_max_num_queries
):
    for _ in range(15):
        ActivationFactory(license=LicenseFactory(policy=policy, workspace=workspace))
    with django_assert_max_num_queries(2):
        response = staff_client.get(f"{BASE}/license_keys?page_size=100")
    assert len(response.json()["items"]) == 15
    with django_assert_max_num_queries(2):
        response = staff_client.get(f"{BASE}/license_key_instances?page_size=100")
    assert len(response.json()["items"]) == 15


@pytest.mark.usefixtures("client_cache_mode")
def test_validate_and_activate_stay_within_five_queries(api_client, license, django_assert_max_num_queries):
    # A new machine: lock, look, count, insert, and a look for webhook endpoints that want
    # license.activated (with the shared cache, the license's snapshot first, and SQLite's BEGIN and
    # COMMIT of a test that commits for real).
    with django_assert_max_num_queries(9):
        response = api_client.post(
            f"{BASE}/licenses/activate", {"license_key": license.plaintext_key, "name": "a"}
        )
    assert response.status_code == 201
    with django_assert_max_num_queries(3):
        response = api_client.post(f"{BASE}/licenses/validate", {"license_key": license.plaintext_key})
    assert response.json() == {"valid": True}
