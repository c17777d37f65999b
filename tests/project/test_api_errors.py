"""The API error shape: {"code", "message", "fields"} with dotted names for nested fields."""

import pytest

pytestmark = pytest.mark.django_db

ACTIVATE = "/api/v1/client/activate"


def test_a_nested_object_of_the_wrong_type_is_named_by_its_own_field(api_client):
    response = api_client.post("/api/v1/licenses/validate", {"key": ["not", "a", "string"]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID"
    assert list(response.json()["fields"]) == ["key"]


def test_nested_field_errors_get_dotted_names(member, api_client):
    from authtokens import services

    token = services.developer_token_rotate(actor=member).plaintext
    response = api_client.post(
        ACTIVATE, {"product": "x", "machine": "laptop"}, format="json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 400
    assert "machine" in response.json()["fields"]
    response = api_client.post(
        ACTIVATE,
        {"product": "x", "machine": {"name": "laptop"}},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert "machine.fingerprint" in response.json()["fields"]


def test_unknown_routes_and_methods_use_the_same_shape(api_client, member, client_for):
    body = client_for(member).delete("/api/v1/me/").json()
    assert body["code"] == "METHOD_NOT_ALLOWED" and body["message"] and body["fields"] == {}
