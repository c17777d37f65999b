"""Activation signs the certificate before it saves anything: a server that cannot sign uses up no seat,
and the client gets the API's JSON error (with a request id), never Django's HTML page."""

import pytest
from rest_framework.test import APIClient

from authtokens import services as token_services
from licensing.models import Activation
from tests.licensing.factories import LicenseFactory, PolicyFactory

# No test-wide transaction: the activation's own transaction must be what rolls back.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def license(member):
    return LicenseFactory(
        policy=PolicyFactory(product__code="emulator", max_activations=1),
        workspace=member.workspace,
        assignee=member,
    )


@pytest.fixture
def broken_signer(settings):
    settings.DEBUG = False
    settings.SIGNING_KEY = ""  # what a production server started without SIGNING_KEY has


@pytest.fixture
def client():
    return APIClient(raise_request_exception=False)  # answer as a real server would


def assert_json_server_error(response):
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "SERVER_ERROR"
    assert body["request_id"] and body["request_id"] == response["X-Request-ID"]
    assert body["request_id"] in body["message"]


def test_key_activation_with_a_broken_signer_writes_nothing(client, license, broken_signer):
    response = client.post(
        "/api/v1/licenses/activate", {"key": license.plaintext_key, "fingerprint": "fp-1"}, format="json"
    )

    assert_json_server_error(response)
    assert not Activation.objects.exists()


def test_token_activation_with_a_broken_signer_writes_nothing(client, license, member, broken_signer):
    token = token_services.developer_token_rotate(actor=member).plaintext

    response = client.post(
        "/api/v1/client/activate",
        {"product": "emulator", "machine": {"fingerprint": "fp-1"}},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert_json_server_error(response)
    assert not Activation.objects.exists()


def test_dodo_sdk_clients_get_json_too(client, license, broken_signer):
    response = client.post(
        "/compat/dodo/licenses/activate",
        {"license_key": license.plaintext_key, "name": "laptop"},
        format="json",
    )

    assert_json_server_error(response)
    assert not Activation.objects.exists()


def test_once_the_key_is_set_the_seat_is_still_free(client, license, settings, signing_key_text):
    settings.SIGNING_KEY = ""
    settings.DEBUG = False
    client.post(
        "/api/v1/licenses/activate", {"key": license.plaintext_key, "fingerprint": "fp-1"}, format="json"
    )
    settings.SIGNING_KEY = signing_key_text

    response = client.post(
        "/api/v1/licenses/activate", {"key": license.plaintext_key, "fingerprint": "fp-2"}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["certificate"].startswith("cert/")


def test_a_dashboard_error_stays_html(client, settings, broken_signer):
    settings.ROOT_URLCONF = "tests.project.boom_urls"

    response = client.get("/boom/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Request-ID"]


def test_a_sane_request_id_from_the_proxy_is_kept_and_junk_is_replaced(client, settings):
    settings.ROOT_URLCONF = "tests.project.boom_urls"

    kept = client.get("/api/boom/", HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")
    replaced = client.get("/api/boom/", HTTP_X_REQUEST_ID="<script>\x00")

    assert kept.json()["request_id"] == "0123456789abcdef0123456789abcdef"
    assert replaced.json()["request_id"] != "<script>\x00" and len(replaced["X-Request-ID"]) == 32
