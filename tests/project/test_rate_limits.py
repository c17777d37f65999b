"""Rate limits: log-in lockouts (django-axes), sign-up and password reset (django-ratelimit), and the
public client API (DRF throttles), all answering 429 with Retry-After; counters in the shared cache."""

import socket
import uuid

import pytest
from axes.models import AccessAttempt
from django.test import Client
from rest_framework.test import APIClient

from tests.licensing.factories import LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db

VALIDATE = "/api/v1/licenses/validate"


def client_from(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def log_in(client, email, password):
    return client.post("/login/", {"username": email, "password": password})


# ---------------------------------------------------------------- log-in


def test_sixty_wrong_passwords_from_one_ip_are_refused_long_before_the_sixtieth(owner, member, password):
    attacker = client_from("203.0.113.7")
    statuses = [log_in(attacker, owner.user.email, f"guess-{n}").status_code for n in range(60)]
    assert 429 in statuses
    first_refusal = statuses.index(429)
    assert first_refusal < 59
    assert set(statuses[first_refusal:]) == {429}
    locked = log_in(attacker, owner.user.email, "guess")
    assert locked["Retry-After"] and int(locked["Retry-After"]) > 0
    assert b"Too many attempts" in locked.content or b"too many" in locked.content.lower()

    # The right password from the locked IP does not get in either...
    assert log_in(attacker, member.user.email, password).status_code == 429
    # ...but another account from elsewhere logs in as usual.
    response = log_in(client_from("198.51.100.20"), member.user.email, password)
    assert response.status_code == 302
    assert "_auth_user_id" in response.client.session


def test_an_account_is_locked_whichever_ips_the_guesses_come_from(owner, password, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client_from(f"203.0.113.{n + 1}"), owner.user.email, "wrong")
    assert log_in(client_from("198.51.100.99"), owner.user.email, password).status_code == 429


def test_an_admin_lifts_a_lockout_in_django_admin(owner, password, settings, django_user_model):
    attacker = client_from("203.0.113.8")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(attacker, owner.user.email, "wrong")
    assert log_in(client_from("198.51.100.1"), owner.user.email, password).status_code == 429

    staff = django_user_model.objects.create_superuser(email="root@keyward.test", password="x" * 20)
    admin = Client()
    admin.force_login(staff)
    attempts = AccessAttempt.objects.all()
    assert attempts.exists()
    changelist = admin.get("/admin/axes/accessattempt/")
    assert changelist.status_code == 200
    response = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [a.pk for a in attempts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert log_in(client_from("198.51.100.1"), owner.user.email, password).status_code == 302


# ---------------------------------------------------------------- sign-up and password reset


def test_password_reset_is_limited_per_ip_and_answers_429(settings, db):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": "3/h"}
    client = client_from("203.0.113.9")
    statuses = [
        client.post("/password-reset/", {"email": f"someone{n}@example.com"}).status_code for n in range(4)
    ]
    assert statuses[:3] == [302, 302, 302] and statuses[3] == 429
    assert client_from("198.51.100.2").post("/password-reset/", {"email": "x@example.com"}).status_code == 302


def test_password_reset_is_limited_per_address_across_ips(settings, db):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": "2/h"}
    statuses = [
        client_from(f"203.0.113.{n + 1}")
        .post("/password-reset/", {"email": "victim@example.com"})
        .status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]


def test_sign_up_is_limited_per_ip(settings, db):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup": "2/h"}
    client = client_from("203.0.113.10")
    body = {"full_name": "", "password": "an-unusual-passphrase-9"}
    statuses = [
        client.post("/signup/", {**body, "email": f"new{n}@example.com"}).status_code for n in range(3)
    ]
    assert statuses[:2] == [200, 200] and statuses[2] == 429
    assert statuses and client.post("/signup/", {**body, "email": "z@example.com"})["Retry-After"]


# ---------------------------------------------------------------- public client API
# Each runs twice (client_cache_mode): counted in the local cache, and in Redis, where validate and the
# token endpoints count the windows in the round trip that reads the key's or the token's snapshot.


@pytest.mark.usefixtures("client_cache_mode")
def test_validate_answers_429_past_its_per_key_limit_and_keeps_answering_other_keys(api_client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "license_key": "5/min"}
    hammered, other = LicenseFactory(), LicenseFactory()
    for _ in range(5):
        assert api_client.post(VALIDATE, {"key": hammered.plaintext_key}, format="json").status_code == 200
    refused = api_client.post(VALIDATE, {"key": hammered.plaintext_key}, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "THROTTLED" and "try again" in refused.json()["message"]
    assert int(refused["Retry-After"]) >= 1
    assert api_client.post(VALIDATE, {"key": other.plaintext_key}, format="json").status_code == 200


@pytest.mark.usefixtures("client_cache_mode")
def test_the_public_client_api_is_limited_per_ip(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "client_ip": "3/min"}
    busy, calm = APIClient(REMOTE_ADDR="203.0.113.11"), APIClient(REMOTE_ADDR="198.51.100.3")
    keys = [LicenseFactory().plaintext_key for _ in range(4)]
    statuses = [busy.post(VALIDATE, {"key": key}, format="json").status_code for key in keys]
    assert statuses == [200, 200, 200, 429]
    assert (
        busy.post("/compat/dodo/licenses/validate", {"license_key": keys[0]}, format="json").status_code
        == 429
    )
    assert calm.post(VALIDATE, {"key": keys[3]}, format="json").status_code == 200


@pytest.mark.usefixtures("client_cache_mode")
@pytest.mark.parametrize(
    "path, field", [("/api/v1/licenses/activate", "key"), ("/compat/dodo/licenses/activate", "license_key")]
)
def test_activations_are_limited_per_license_per_hour(settings, path, field):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "license_activation": "2/hour"}
    license = LicenseFactory(policy=PolicyFactory(max_activations=None))
    statuses = [
        APIClient(REMOTE_ADDR=f"203.0.113.{n + 20}")
        .post(
            path, {field: license.plaintext_key, "fingerprint": f"machine-{n}", "name": "pc"}, format="json"
        )
        .status_code
        for n in range(3)
    ]
    assert statuses[:2] == [201, 201] or statuses[:2] == [200, 200], statuses
    assert statuses[2] == 429
    # Validation of the same license is not an activation: still answered.
    assert APIClient().post(VALIDATE, {"key": license.plaintext_key}, format="json").status_code == 200


@pytest.mark.usefixtures("client_cache_mode")
def test_client_token_endpoints_are_limited_per_token(settings, member):
    from authtokens.services import developer_token_rotate

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth_token": "2/min"}
    token = developer_token_rotate(actor=member).plaintext
    statuses = [
        APIClient(REMOTE_ADDR=f"203.0.113.{n + 40}")
        .get("/api/v1/client/info", HTTP_AUTHORIZATION=f"Bearer {token}")
        .status_code
        for n in range(3)
    ]
    assert statuses[2] == 429 and 429 not in statuses[:2]


@pytest.mark.usefixtures("client_cache_mode")
def test_a_refused_validation_is_not_counted_as_one(settings, flush_counts):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "license_key": "3/min"}
    license = LicenseFactory()
    statuses = [
        APIClient().post(VALIDATE, {"key": license.plaintext_key}, format="json").status_code
        for _ in range(5)
    ]
    flush_counts()
    license.refresh_from_db()
    assert statuses == [200, 200, 200, 429, 429]
    assert license.validation_count == 3


@pytest.mark.usefixtures("client_cache_mode")
def test_malformed_requests_count_against_the_ip_limit_too(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "client_ip": "2/min"}
    client = APIClient(REMOTE_ADDR="203.0.113.77")
    key = LicenseFactory().plaintext_key
    assert client.post(VALIDATE, {"fingerprint": "no key"}, format="json").status_code == 400
    assert client.post(VALIDATE, {"key": key, "fingerprint": 7}, format="json").status_code == 400
    refused = client.post(VALIDATE, {"key": key}, format="json")
    assert refused.status_code == 429 and refused.json()["code"] == "THROTTLED"
    # Over the limit, even a malformed request is told to wait rather than what is wrong with it.
    assert client.post(VALIDATE, {"fingerprint": "no key"}, format="json").status_code == 429
    assert client.get("/api/v1/client/info", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 429


# ---------------------------------------------------------------- through Redis, for real


def _redis_available() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_available(), reason="needs Redis at 127.0.0.1:6379")
def test_the_per_key_limit_holds_through_redis(settings, api_client):
    import redis
    from django.core.cache import caches

    prefix = f"kw-test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/7",
            "KEY_PREFIX": prefix,
        }
    }
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "license_key": "3/min"}
    license = LicenseFactory()
    try:
        for _ in range(3):
            assert api_client.post(VALIDATE, {"key": license.plaintext_key}, format="json").status_code == 200
        # Another worker is another process with its own connection: it sees the same counter.
        caches["default"].close()
        assert api_client.post(VALIDATE, {"key": license.plaintext_key}, format="json").status_code == 429
        stored = redis.Redis.from_url("redis://127.0.0.1:6379/7").keys(f"{prefix}:*throttle_license_key_*")
        assert stored, "the counter lives in Redis"
    finally:
        raw = redis.Redis.from_url("redis://127.0.0.1:6379/7")
        for key in raw.scan_iter(f"{prefix}:*"):
            raw.delete(key)
