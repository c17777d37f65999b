"""Offline certificates: Ed25519-signed, verifiable with only the public key."""

import base64
import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from licensing import certificates
from licensing.certificates import certificate_issue, certificate_verify, signing_public_key_pem
from project.errors import DomainError
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db

PUBLIC_KEY = "/api/v1/client/public-key"


@pytest.fixture
def activation(member):
    license = LicenseFactory(
        policy=PolicyFactory(product__code="emulator", name="Pro", offline_lifetime=timedelta(hours=24)),
        assignee=member,
    )
    return ActivationFactory(license=license, fingerprint="fp-123")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_certificate_verifies_with_only_the_public_key(api_client, activation):
    certificate = certificate_issue(license=activation.license, activation=activation)
    public_pem = api_client.get(PUBLIC_KEY).json()["public_key_pem"]

    payload = certificate_verify(certificate=certificate, public_key=public_pem)

    license = activation.license
    assert certificate.startswith("cert/")
    assert payload["license"] == license.public_id
    assert payload["activation"] == activation.public_id
    assert payload["product"] == "emulator"
    assert payload["plan"] == "Pro"
    assert payload["workspace"] == "acme"
    assert payload["member"] == "member@acme.test"
    assert payload["fingerprint"] == "fp-123"
    assert payload["expires_at"] - payload["issued_at"] == 24 * 3600


def test_the_raw_public_key_works_too(api_client, activation):
    certificate = certificate_issue(license=activation.license, activation=activation)
    raw = api_client.get(PUBLIC_KEY).json()["public_key"]

    assert certificate_verify(certificate=certificate, public_key=raw)["fingerprint"] == "fp-123"


def readme_verify():
    """The README's verify recipe, taken from the README itself and run as written there."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    recipe = next(block for block in blocks if "def verify(" in block)
    namespace = {}
    exec(recipe, namespace)  # noqa: S102 (our own README)
    return namespace["verify"]


def test_the_readme_recipe_verifies_a_certificate(api_client, activation):
    certificate = certificate_issue(license=activation.license, activation=activation)
    key_set = api_client.get(PUBLIC_KEY).json()

    assert readme_verify()(certificate, key_set)["license"] == activation.license.public_id


def test_the_readme_recipe_follows_a_rotation_and_refuses_unknown_keys(
    api_client, activation, settings, signing_key_text
):
    verify = readme_verify()
    old_certificate = certificate_issue(license=activation.license, activation=activation)
    settings.SIGNING_KEY = new_key_text()
    settings.SIGNING_KEYS_PREVIOUS = [signing_key_text]
    new_certificate = certificate_issue(license=activation.license, activation=activation)
    key_set = api_client.get(PUBLIC_KEY).json()

    assert verify(old_certificate, key_set)["activation"] == activation.public_id
    assert verify(new_certificate, key_set)["activation"] == activation.public_id
    settings.SIGNING_KEYS_PREVIOUS = []
    with pytest.raises(StopIteration):
        verify(old_certificate, api_client.get(PUBLIC_KEY).json())


def test_a_tampered_certificate_is_rejected(activation):
    certificate = certificate_issue(license=activation.license, activation=activation)
    body, signature = certificate.removeprefix("cert/").split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["expires_at"] += 365 * 24 * 3600
    forged = (
        "cert/" + b64url(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()) + "." + signature
    )

    with pytest.raises(DomainError) as error:
        certificate_verify(certificate=forged, public_key=signing_public_key_pem())
    assert error.value.code == "CERTIFICATE_INVALID"


def test_a_certificate_signed_by_another_key_is_rejected(activation, settings):
    certificate = certificate_issue(license=activation.license, activation=activation)
    real_public_key = signing_public_key_pem()
    settings.SIGNING_KEY = base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()
    impostor = certificate_issue(license=activation.license, activation=activation)

    assert certificate_verify(certificate=certificate, public_key=real_public_key)
    with pytest.raises(DomainError, match="signature"):
        certificate_verify(certificate=impostor, public_key=real_public_key)


@pytest.mark.parametrize("garbage", ["", "cert/", "cert/abc", "nope.sig", "cert/!!!.???", 42])
def test_garbage_is_rejected(garbage):
    with pytest.raises(DomainError) as error:
        certificate_verify(certificate=garbage, public_key=signing_public_key_pem())
    assert error.value.code == "CERTIFICATE_INVALID"


def test_an_expired_certificate_is_rejected(activation):
    issued_at = int(time.time()) - 25 * 3600
    certificate = certificate_issue(license=activation.license, activation=activation, issued_at=issued_at)

    with pytest.raises(DomainError) as error:
        certificate_verify(certificate=certificate, public_key=signing_public_key_pem())
    assert error.value.code == "CERTIFICATE_EXPIRED"
    assert certificate_verify(
        certificate=certificate, public_key=signing_public_key_pem(), now=issued_at + 60
    )


def test_the_lifetime_comes_from_the_policy(activation):
    activation.license.policy.offline_lifetime = timedelta(days=7)

    payload = certificate_verify(
        certificate=certificate_issue(license=activation.license, activation=activation),
        public_key=signing_public_key_pem(),
    )

    assert payload["expires_at"] - payload["issued_at"] == 7 * 24 * 3600


def test_public_key_endpoint_needs_no_credential(api_client):
    response = api_client.get(PUBLIC_KEY, HTTP_AUTHORIZATION="Bearer garbage")

    assert response.status_code == 200
    body = response.json()
    assert body["algorithm"] == "Ed25519"
    assert body["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert len(base64.urlsafe_b64decode(body["public_key"] + "=")) == 32


def test_a_pem_signing_key_is_accepted(settings, activation):
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.generate()
    settings.SIGNING_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()

    certificate = certificate_issue(license=activation.license, activation=activation)

    assert certificate_verify(certificate=certificate, public_key=key.public_key())


def test_without_a_signing_key_and_debug_off_it_fails_clearly(settings, activation):
    settings.SIGNING_KEY = ""
    settings.DEBUG = False

    with pytest.raises(ImproperlyConfigured, match="SIGNING_KEY"):
        certificate_issue(license=activation.license, activation=activation)
    with pytest.raises(SystemCheckError, match="licensing.E001"):
        call_command("check", "--deploy", "--tag", "security")


def test_a_malformed_signing_key_fails_clearly(settings, activation):
    settings.SIGNING_KEY = "not a key"

    with pytest.raises(ImproperlyConfigured, match="SIGNING_KEY is not a valid"):
        certificate_issue(license=activation.license, activation=activation)


def test_in_development_a_key_is_generated_once_into_a_file(settings, tmp_path, activation):
    settings.SIGNING_KEY = ""
    settings.DEBUG = True
    settings.SIGNING_KEY_FILE = tmp_path / "signing_key.pem"

    first = certificates.signing_public_key_pem()
    certificates._load_or_create_dev_file.cache_clear()
    second = certificates.signing_public_key_pem()

    assert first == second
    assert settings.SIGNING_KEY_FILE.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert settings.SIGNING_KEY_FILE.stat().st_mode & 0o777 == 0o600


# ---------------------------------------------------------------- key rotation


def new_key_text() -> str:
    return base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()


def test_certificates_name_their_key_by_its_jwk_thumbprint(api_client, activation):
    """kid = base64url(SHA-256('{"crv":"Ed25519","kty":"OKP","x":"<raw public key, base64url>"}')),
    as the README says, so a client can recompute it from the public key alone."""
    import hashlib

    certificate = certificate_issue(license=activation.license, activation=activation)
    key = api_client.get(PUBLIC_KEY).json()
    body = certificate.removeprefix("cert/").split(".")[0]
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    jwk = '{"crv":"Ed25519","kty":"OKP","x":"' + key["public_key"] + '"}'

    assert claims["kid"] == key["kid"] == b64url(hashlib.sha256(jwk.encode()).digest())
    current = {k: key[k] for k in ("kid", "public_key_pem", "public_key")}
    assert key["keys"] == [{**current, "current": True}]


def test_after_a_rotation_a_certificate_of_the_previous_key_still_verifies_against_the_key_set(
    api_client, activation, settings, signing_key_text
):
    old_certificate = certificate_issue(license=activation.license, activation=activation)
    settings.SIGNING_KEY = new_key_text()
    settings.SIGNING_KEYS_PREVIOUS = [signing_key_text]
    new_certificate = certificate_issue(license=activation.license, activation=activation)

    key_set = api_client.get(PUBLIC_KEY).json()["keys"]

    assert [entry["current"] for entry in key_set] == [True, False]
    assert certificate_verify(certificate=old_certificate, public_key=key_set)["license"]
    assert certificate_verify(certificate=new_certificate, public_key=key_set)["license"]


def test_a_certificate_of_an_unknown_key_does_not_verify_against_the_key_set(
    api_client, activation, settings, signing_key_text
):
    settings.SIGNING_KEY = new_key_text()
    stranger = certificate_issue(license=activation.license, activation=activation)
    settings.SIGNING_KEY = signing_key_text
    settings.SIGNING_KEYS_PREVIOUS = [new_key_text()]

    key_set = api_client.get(PUBLIC_KEY).json()["keys"]

    with pytest.raises(DomainError) as error:
        certificate_verify(certificate=stranger, public_key=key_set)
    assert error.value.code == "CERTIFICATE_INVALID"


def test_a_certificate_claiming_a_known_kid_but_signed_by_another_key_is_rejected(activation, settings):
    genuine = certificate_issue(license=activation.license, activation=activation)
    real_kid = json.loads(base64.urlsafe_b64decode(genuine[5:].split(".")[0] + "=="))["kid"]
    impostor_key = Ed25519PrivateKey.generate()
    claims = {**certificate_payload_of(genuine), "kid": real_kid, "fingerprint": "stolen"}
    body = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
    forged = f"cert/{b64url(body)}.{b64url(impostor_key.sign(body))}"

    with pytest.raises(DomainError, match="signature"):
        certificate_verify(certificate=forged, public_key=[signing_public_key_pem()])


def certificate_payload_of(certificate: str) -> dict:
    body = certificate.removeprefix("cert/").split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_a_previous_key_may_be_given_as_its_public_pem(api_client, activation, settings, signing_key_text):
    old_certificate = certificate_issue(license=activation.license, activation=activation)
    old_public_pem = signing_public_key_pem()
    settings.SIGNING_KEY = new_key_text()
    settings.SIGNING_KEYS_PREVIOUS = [old_public_pem]

    key_set = api_client.get(PUBLIC_KEY).json()["keys"]

    assert key_set[1]["public_key_pem"] == old_public_pem
    assert certificate_verify(certificate=old_certificate, public_key=key_set)


def test_a_malformed_previous_key_fails_clearly(api_client, settings):
    settings.SIGNING_KEYS_PREVIOUS = ["not a key"]

    with pytest.raises(ImproperlyConfigured, match="SIGNING_KEY"):
        certificates.public_key_set()


def test_a_key_listed_twice_in_the_rotation_is_served_once(
    api_client, activation, settings, signing_key_text
):
    """An operator who moved a key to SIGNING_KEYS_PREVIOUS twice (or as its private and its public form),
    or left the current key there too, still gets each key once, current first, and later keys kept."""
    old_text, older_text = new_key_text(), new_key_text()
    settings.SIGNING_KEY = old_text
    old_public_pem = signing_public_key_pem()
    old_certificate = certificate_issue(license=activation.license, activation=activation)
    settings.SIGNING_KEY = older_text
    older_certificate = certificate_issue(license=activation.license, activation=activation)
    settings.SIGNING_KEY = signing_key_text
    settings.SIGNING_KEYS_PREVIOUS = [old_text, signing_key_text, old_public_pem, older_text]

    key_set = api_client.get(PUBLIC_KEY).json()["keys"]

    kids = [entry["kid"] for entry in key_set]
    assert len(kids) == len(set(kids)) == 3
    assert [entry["current"] for entry in key_set] == [True, False, False]
    assert key_set[1]["public_key_pem"] == old_public_pem
    for certificate in (old_certificate, older_certificate):
        assert certificate_verify(certificate=certificate, public_key=key_set)["license"]


def test_a_certificate_without_a_key_id_is_checked_with_the_current_key(api_client, activation):
    """Certificates issued before key ids existed carry no `kid`: the first key of the set checks them."""
    claims = certificate_payload_of(certificate_issue(license=activation.license, activation=activation))
    del claims["kid"]
    body = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
    keyless = f"cert/{b64url(body)}.{b64url(certificates.signing_key().sign(body))}"

    key_set = api_client.get(PUBLIC_KEY).json()["keys"]

    assert certificate_verify(certificate=keyless, public_key=key_set) == claims


def test_a_certificate_of_an_unknown_key_says_to_activate_again(activation, settings, signing_key_text):
    settings.SIGNING_KEY = new_key_text()
    stranger = certificate_issue(license=activation.license, activation=activation)
    settings.SIGNING_KEY = signing_key_text

    with pytest.raises(DomainError) as error:
        certificate_verify(certificate=stranger, public_key=[signing_public_key_pem()])
    assert error.value.message == (
        "The certificate's signature is by a key this server does not know; activate again."
    )


@pytest.mark.parametrize("payload", [b"[1, 2]", b'"text"', b"42", b"null", b"not json", b"\xff\xfe"])
def test_a_payload_that_is_not_a_json_object_is_refused_as_a_mismatch(activation, payload):
    signature = b64url(certificates.signing_key().sign(payload))

    with pytest.raises(DomainError) as error:
        certificate_verify(
            certificate=f"cert/{b64url(payload)}.{signature}", public_key=signing_public_key_pem()
        )
    assert error.value.code == "CERTIFICATE_INVALID"
    assert error.value.message == "The certificate's signature does not match; activate the machine again."


@pytest.mark.parametrize("stray", ["before-the-payload", "doubled", "after-the-signature"])
def test_a_certificate_with_a_stray_dot_is_refused(activation, stray):
    """Only cert/<payload>.<signature> is a certificate; for every payload length (base64 pads each
    differently) a stray dot makes it none, though the dots alone carry no data."""
    for size in range(1, 5):
        activation.fingerprint = "f" * size
        certificate = certificate_issue(license=activation.license, activation=activation)
        body, signature = certificate.removeprefix("cert/").split(".")
        shaped = {
            "before-the-payload": f"cert/.{body}.{signature}",
            "doubled": f"cert/{body}..{signature}",
            "after-the-signature": f"cert/{body}.{signature}.",
        }[stray]

        with pytest.raises(DomainError) as error:
            certificate_verify(certificate=shaped, public_key=signing_public_key_pem())
        assert error.value.code == "CERTIFICATE_INVALID"
