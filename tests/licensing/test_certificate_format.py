"""The offline certificate, checked byte for byte against the format the README documents.

A client verifies certificates with its own code, so the format is a contract: this test decodes
and verifies with base64, json and `cryptography` only, never with licensing.certificates'
helpers, and fails if the bytes drift from "cert/<payload>.<signature>, both base64url without
padding; the payload compact JSON with sorted keys; Ed25519 over the payload bytes".

`kid` is checked against the README's definition too: the RFC 7638 thumbprint of the public key.
"""

import base64
import binascii
import hashlib
import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from licensing.certificates import certificate_issue, certificate_verify, check_signing_key
from project.errors import DomainError, ErrorKind
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db

PUBLIC_KEY = "/api/v1/client/public-key"
BASE64URL_UNPADDED = re.compile(r"[A-Za-z0-9_-]+")
CLAIMS = {
    "v",
    "license",
    "activation",
    "product",
    "plan",
    "workspace",
    "member",
    "fingerprint",
    "issued_at",
    "expires_at",
    "kid",
}


def strict_b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url, refusing padding and any character outside the URL-safe alphabet."""
    assert BASE64URL_UNPADDED.fullmatch(text), f"not unpadded base64url: {text[:40]!r}"
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except binascii.Error as exc:  # pragma: no cover - the assertion above names the problem
        raise AssertionError(f"not base64url: {exc}") from exc


def readme_kid(public_key: Ed25519PublicKey) -> str:
    """RFC 7638: unpadded base64url SHA-256 of the JWK's required members, sorted, no spaces."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    jwk = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(jwk.encode()).digest()).rstrip(b"=").decode()


def readme_verify(certificate: str, public_key: Ed25519PublicKey) -> tuple[bytes, dict]:
    """The documented format, checked strictly: returns the payload bytes and claims."""
    assert certificate.startswith("cert/")
    body, signature = certificate.removeprefix("cert/").split(".")
    payload = strict_b64url_decode(body)
    raw_signature = strict_b64url_decode(signature)
    assert len(raw_signature) == 64  # Ed25519
    public_key.verify(raw_signature, payload)  # raises InvalidSignature if the bytes were not signed as is
    claims = json.loads(payload)
    assert payload == json.dumps(claims, sort_keys=True, separators=(",", ":")).encode(), (
        "the payload must be compact JSON with sorted keys"
    )
    return payload, claims


@pytest.fixture
def activation(member):
    license = LicenseFactory(
        policy=PolicyFactory(product__code="emulator", name="Pro", offline_lifetime=timedelta(hours=24)),
        assignee=member,
    )
    return ActivationFactory(license=license, fingerprint="fp-123")


@pytest.fixture
def public_key(api_client) -> Ed25519PublicKey:
    body = api_client.get(PUBLIC_KEY).json()
    from_pem = load_pem_public_key(body["public_key_pem"].encode())
    from_raw = Ed25519PublicKey.from_public_bytes(strict_b64url_decode(body["public_key"]))
    assert from_pem == from_raw
    return from_raw


def test_an_issued_certificate_matches_the_documented_format_byte_for_byte(activation, public_key):
    issued_at = 1_700_000_000
    certificate = certificate_issue(license=activation.license, activation=activation, issued_at=issued_at)

    payload, claims = readme_verify(certificate, public_key)

    license = activation.license
    assert set(claims) == CLAIMS
    assert claims == {
        "v": 1,
        "license": license.public_id,
        "activation": activation.public_id,
        "product": "emulator",
        "plan": "Pro",
        "workspace": "acme",
        "member": "member@acme.test",
        "fingerprint": "fp-123",
        "issued_at": issued_at,
        "expires_at": issued_at + 24 * 3600,
        "kid": readme_kid(public_key),
    }
    assert isinstance(claims["issued_at"], int) and isinstance(claims["expires_at"], int)
    assert payload.startswith(b'{"activation":"act_')


def test_a_certificate_from_the_activate_endpoint_matches_the_format(api_client, public_key, workspace):
    license = LicenseFactory(policy=PolicyFactory(product__code="emulator"), workspace=workspace)
    before = int(time.time())

    body = api_client.post(
        "/api/v1/licenses/activate",
        {"key": license.plaintext_key, "fingerprint": "fp-9", "name": "ci box"},
        format="json",
    ).json()

    _, claims = readme_verify(body["certificate"], public_key)
    assert claims["fingerprint"] == "fp-9"
    assert claims["workspace"] == "acme" and claims["member"] is None
    assert before <= claims["issued_at"] <= int(time.time())
    assert body["certificate_expires_at"] == claims["expires_at"]


def test_a_token_activation_states_its_expiry_as_aware_utc(api_client, member, public_key):
    from authtokens import services as token_services

    LicenseFactory(policy=PolicyFactory(product__code="emulator"), assignee=member)
    token = token_services.developer_token_rotate(actor=member).plaintext

    body = api_client.post(
        "/api/v1/client/activate",
        {"product": "emulator", "machine": {"fingerprint": "fp-1"}},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    ).json()

    _, claims = readme_verify(body["certificate"], public_key)
    expires_at = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert expires_at.utcoffset() == timedelta(0)
    assert expires_at == datetime.fromtimestamp(claims["expires_at"], tz=UTC)


# ---------------------------------------------------------------- expiry, to the second


def test_a_certificate_is_good_until_the_second_before_it_expires(activation, public_key):
    issued_at = 1_700_000_000
    certificate = certificate_issue(license=activation.license, activation=activation, issued_at=issued_at)
    expires_at = issued_at + 24 * 3600

    assert certificate_verify(certificate=certificate, public_key=public_key, now=expires_at - 1)
    for moment in (expires_at, expires_at + 1):
        with pytest.raises(DomainError) as caught:
            certificate_verify(certificate=certificate, public_key=public_key, now=moment)
        assert (caught.value.code, caught.value.field) == ("CERTIFICATE_EXPIRED", "certificate")
        assert caught.value.kind == ErrorKind.INVALID
        assert caught.value.message == (
            "The certificate has expired; connect to the network and activate the machine again."
        )


def test_a_verified_certificate_returns_its_claims(activation, public_key):
    certificate = certificate_issue(license=activation.license, activation=activation)
    _, claims = readme_verify(certificate, public_key)

    assert certificate_verify(certificate=certificate, public_key=public_key) == claims
    raw = base64.urlsafe_b64encode(public_key.public_bytes_raw()).rstrip(b"=")
    assert certificate_verify(certificate=certificate, public_key=raw) == claims


@pytest.mark.parametrize("mangle", ["another-prefix", "no-prefix", "no-signature"])
def test_certificates_in_another_shape_are_refused(activation, public_key, mangle):
    certificate = certificate_issue(license=activation.license, activation=activation)
    body, signature = certificate.removeprefix("cert/").split(".")
    shaped = {
        "another-prefix": f"kw/{body}.{signature}",
        "no-prefix": f"{body}.{signature}",
        "no-signature": f"cert/{body}",
    }[mangle]

    with pytest.raises(DomainError) as caught:
        certificate_verify(certificate=shaped, public_key=public_key)
    assert caught.value.code == "CERTIFICATE_INVALID"
    assert caught.value.field == "certificate"


# ---------------------------------------------------------------- deploy check


@pytest.mark.parametrize(
    "signing_key, debug, reported",
    [("", False, True), ("set", False, False), ("", True, False), ("set", True, False)],
)
def test_the_deploy_check_asks_for_a_signing_key_only_in_production_without_one(
    settings, signing_key_text, signing_key, debug, reported
):
    settings.SIGNING_KEY = signing_key_text if signing_key else ""
    settings.DEBUG = debug

    ids = [message.id for message in run_checks(include_deployment_checks=True, tags=["security"])]

    assert ("licensing.E001" in ids) is reported
    assert bool(check_signing_key()) is reported


def test_without_a_signing_key_in_production_issuing_says_what_to_set(settings, activation):
    settings.SIGNING_KEY = ""
    settings.DEBUG = False

    with pytest.raises(ImproperlyConfigured) as caught:
        certificate_issue(license=activation.license, activation=activation)
    assert str(caught.value) == (
        "Set SIGNING_KEY in the environment (an Ed25519 private key, PEM or base64 of 32 raw bytes) "
        "to issue offline certificates; DEBUG is off."
    )


def test_the_deploy_check_says_what_to_set(settings):
    settings.SIGNING_KEY = ""
    settings.DEBUG = False

    [error] = check_signing_key()

    assert error.id == "licensing.E001"
    assert error.msg == "SIGNING_KEY is not set, so offline certificates cannot be issued."
    assert error.hint == "Set SIGNING_KEY to an Ed25519 private key (PEM, or base64 of the raw 32 bytes)."


# ---------------------------------------------------------------- the signing key setting


def test_a_signing_key_with_a_stray_character_is_refused_not_read_as_another_key(settings, activation):
    raw = base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()
    settings.SIGNING_KEY = raw[:10] + "!" + raw[10:]

    with pytest.raises(ImproperlyConfigured) as caught:
        certificate_issue(license=activation.license, activation=activation)
    assert str(caught.value) == (
        "SIGNING_KEY is not a valid Ed25519 private key: give a PEM or base64 of the raw 32 bytes."
    )


def test_a_signing_key_of_another_algorithm_is_refused(settings, activation):
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    settings.SIGNING_KEY = other.decode()

    with pytest.raises(ImproperlyConfigured) as caught:
        certificate_issue(license=activation.license, activation=activation)
    assert str(caught.value) == "SIGNING_KEY must be an Ed25519 private key."


def test_refusals_of_a_bad_certificate_say_what_to_do(activation, public_key):
    certificate = certificate_issue(license=activation.license, activation=activation)
    forged = certificate[:-4] + ("AAAA" if not certificate.endswith("AAAA") else "BBBB")

    for bad, message in [
        ("nope", "This is not a Keyward certificate; it must look like cert/<payload>.<signature>."),
        (forged, "The certificate's signature does not match; activate the machine again."),
    ]:
        with pytest.raises(DomainError) as caught:
            certificate_verify(certificate=bad, public_key=public_key)
        error = caught.value
        assert (error.code, error.kind) == ("CERTIFICATE_INVALID", ErrorKind.INVALID)
        assert error.field == "certificate"
        assert error.message == message


def test_a_string_without_the_separator_is_not_a_certificate(public_key):
    for bad in ("cert/abc", "cert/"):
        with pytest.raises(DomainError) as caught:
            certificate_verify(certificate=bad, public_key=public_key)
        assert caught.value.message == (
            "This is not a Keyward certificate; it must look like cert/<payload>.<signature>."
        )


def test_every_payload_length_verifies(activation, public_key):
    """Unpadded base64url bodies need 0, 1 or 2 "=" back before decoding: every length must work."""
    lengths = set()
    for size in range(1, 21):
        activation.fingerprint = "f" * size
        certificate = certificate_issue(license=activation.license, activation=activation)
        lengths.add(len(certificate.removeprefix("cert/").split(".")[0]) % 20)
        assert certificate_verify(certificate=certificate, public_key=public_key)["fingerprint"] == "f" * size
    assert lengths == {n for n in range(20) if n % 4 != 1}  # every length base64 can have, modulo 20


def test_a_public_key_of_another_algorithm_is_refused(activation):
    certificate = certificate_issue(license=activation.license, activation=activation)
    other = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError) as caught:
        certificate_verify(certificate=certificate, public_key=other)
    assert str(caught.value) == "Not an Ed25519 public key."
