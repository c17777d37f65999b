"""Secret scanning leak reports, signed with a real ECDSA P-256 key pair over the raw body."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail

from authtokens import selectors, tokens
from authtokens.models import AuthToken, RevokeReason, SecurityAction, SecurityEvent
from project.errors import DomainError

pytestmark = pytest.mark.django_db

URL = "/api/v1/secret-scanning/report"
KEY_ID = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a"


@pytest.fixture
def signing_key(settings):
    private_key = ec.generate_private_key(ec.SECP256R1())
    pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    settings.SECRET_SCANNING_PUBLIC_KEYS = json.dumps({KEY_ID: pem})
    return private_key


def sign(private_key, body: bytes) -> str:
    return base64.b64encode(private_key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()


def report(token, url="https://github.com/acme/app/blob/main/.env"):
    return {"token": token, "type": "keyward_auth_token", "url": url, "source": "content"}


def post(api_client, body: bytes, signature: str, key_id=KEY_ID):
    return api_client.post(
        URL,
        body,
        content_type="application/json",
        HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER=key_id,
        HTTP_GITHUB_PUBLIC_KEY_SIGNATURE=signature,
    )


def test_signed_report_revokes_live_tokens_and_mails_the_owners(
    api_client, signing_key, owner, admin, member, dev_token, ci_token, django_capture_on_commit_callbacks
):
    dev_plain, ci_issued = dev_token(member), ci_token("deploy")
    body = json.dumps([report(dev_plain), report(ci_issued.plaintext), report("kw_dev_unknown")]).encode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_client, body, sign(signing_key, body))
    assert response.status_code == 200
    assert response.json() == [
        {
            "token_hash": tokens.hash_token(dev_plain),
            "token_type": "keyward_auth_token",
            "label": "true_positive",
        },
        {
            "token_hash": tokens.hash_token(ci_issued.plaintext),
            "token_type": "keyward_auth_token",
            "label": "true_positive",
        },
        {
            "token_hash": tokens.hash_token("kw_dev_unknown"),
            "token_type": "keyward_auth_token",
            "label": "false_positive",
        },
    ]
    for plaintext in (dev_plain, ci_issued.plaintext):
        with pytest.raises(DomainError):
            selectors.token_resolve(raw_token=plaintext)
    assert AuthToken.objects.get(pk=ci_issued.token.pk).revoke_reason == RevokeReason.LEAKED
    leaked = SecurityEvent.objects.filter(action=SecurityAction.TOKEN_LEAKED)
    assert leaked.count() == 2 and "github.com/acme/app" in leaked.first().detail
    # The member hears about their token; the workspace's admins and owners about the CI token.
    recipients = {tuple(sorted(message.to)) for message in mail.outbox}
    assert recipients == {(member.user.email,), tuple(sorted([owner.user.email, admin.user.email]))}
    for message in mail.outbox:
        assert "github.com/acme/app/blob/main/.env" in message.body
        assert dev_plain not in message.body and ci_issued.plaintext not in message.body
    assert ci_issued.token.last4 in next(m.body for m in mail.outbox if member.user.email not in m.to)


def test_reporting_again_labels_true_positive_without_a_second_revocation(api_client, signing_key, ci_token):
    issued = ci_token("deploy")
    body = json.dumps([report(issued.plaintext)]).encode()
    assert post(api_client, body, sign(signing_key, body)).json()[0]["label"] == "true_positive"
    assert post(api_client, body, sign(signing_key, body)).json()[0]["label"] == "true_positive"
    assert SecurityEvent.objects.filter(action=SecurityAction.TOKEN_LEAKED).count() == 1


@pytest.mark.parametrize("tamper", ["body", "signature", "key_id", "missing"])
def test_bad_signature_is_400_and_changes_nothing(api_client, signing_key, ci_token, tamper):
    issued = ci_token("deploy")
    body = json.dumps([report(issued.plaintext)]).encode()
    signature = sign(signing_key, body)
    if tamper == "body":
        response = post(api_client, body.replace(b"content", b"commit!"), signature)
    elif tamper == "signature":
        other = ec.generate_private_key(ec.SECP256R1())
        response = post(api_client, body, sign(other, body))
    elif tamper == "key_id":
        response = post(api_client, body, signature, key_id="unknown")
    else:
        response = api_client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_SIGNATURE"
    assert selectors.token_resolve(raw_token=issued.plaintext).pk == issued.token.pk
    assert not SecurityEvent.objects.filter(action=SecurityAction.TOKEN_LEAKED).exists()


def test_without_configured_keys_every_report_is_refused(api_client, settings, ci_token):
    settings.SECRET_SCANNING_PUBLIC_KEYS = ""
    issued = ci_token("deploy")
    body = json.dumps([report(issued.plaintext)]).encode()
    response = post(api_client, body, base64.b64encode(b"x").decode())
    assert response.status_code == 400
    assert selectors.token_resolve(raw_token=issued.plaintext)


def test_keys_can_come_from_a_file(api_client, signing_key, settings, tmp_path):
    path = tmp_path / "keys.json"
    path.write_text(settings.SECRET_SCANNING_PUBLIC_KEYS)
    settings.SECRET_SCANNING_PUBLIC_KEYS = str(path)
    body = json.dumps([report("kw_ci_nothing")]).encode()
    response = post(api_client, body, sign(signing_key, body))
    assert response.status_code == 200 and response.json()[0]["label"] == "false_positive"


@pytest.mark.parametrize("body", [b"{not json", b'{"token": "x"}', b'[{"url": "x"}]', b"[1, 2]"])
def test_signed_but_malformed_report_is_400(api_client, signing_key, body):
    response = post(api_client, body, sign(signing_key, body))
    assert response.status_code == 400 and response.json()["code"] == "INVALID_REPORT"
