"""When Redis stops answering, the client API answers from the database: customers' software keeps
starting (validate, activate, client info, Dodo's validate), counts are written to the database,
rate limits still hold (per process), and Redis is used again once it answers."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis
from rest_framework.test import APIClient

from authtokens import services as token_services
from licensing.models import License
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory, ProductFactory

VALIDATE = "/api/v1/licenses/validate"
pytestmark = pytest.mark.django_db(transaction=True)  # snapshots are invalidated on commit


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def use_redis_at(settings, port: int) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "kw-unreachable",
        }
    }
    settings.CLIENT_CACHE_SECONDS = 60


@pytest.fixture
def licensed(member):
    product = ProductFactory(code="emulator")
    license = LicenseFactory(policy=PolicyFactory(product=product, max_activations=3), assignee=member)
    ActivationFactory(license=license, fingerprint="fp-1", membership=member)
    token = token_services.developer_token_rotate(actor=member).plaintext
    return license, token


def validate(key: str, **extra):
    return APIClient().post(VALIDATE, {"key": key, "fingerprint": "fp-1", **extra}, format="json")


def test_with_redis_down_the_client_api_answers_from_the_database(settings, licensed, caplog):
    license, token = licensed
    use_redis_at(settings, free_port())  # nothing listens there
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    with caplog.at_level("WARNING", logger="keyward.client_cache"):
        validated = validate(license.plaintext_key)
        dodo = APIClient().post(
            "/compat/dodo/licenses/validate", {"license_key": license.plaintext_key}, format="json"
        )
        activated = APIClient().post(
            "/api/v1/client/activate",
            {"product": "emulator", "machine": {"fingerprint": "fp-1"}},
            format="json",
            **bearer,
        )
        info = APIClient().get("/api/v1/client/info?product=emulator&fingerprint=fp-1", **bearer)

    assert validated.status_code == 200 and validated.json()["code"] == "VALID"
    assert dodo.status_code == 200 and dodo.json() == {"valid": True}
    assert activated.status_code == 200 and activated.json()["activated"] is True
    assert info.status_code == 200 and info.json()["is_license_activated"] is True
    license.refresh_from_db()
    assert license.validation_count == 2  # written by the requests themselves, not lost
    assert [r.getMessage() for r in caplog.records].count(
        "client_cache.unreachable: answering from the database (ConnectionError)"
    ) == 1  # once per outage, not once per request


def test_with_redis_down_rate_limits_still_hold(settings, licensed):
    license, _ = licensed
    use_redis_at(settings, free_port())
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "license_key": "2/min"}

    statuses = [validate(license.plaintext_key).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    license.refresh_from_db()
    assert license.validation_count == 2


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs the redis-server program")
def test_redis_going_away_and_coming_back(settings, licensed, tmp_path, flush_counts):
    license, _ = licensed
    port = free_port()
    use_redis_at(settings, port)
    settings.CLIENT_CACHE_RETRY_SECONDS = 0  # try Redis again at once
    server = start_redis(port, tmp_path)
    try:
        assert validate(license.plaintext_key).json()["code"] == "VALID"  # counted in Redis
        server.terminate()
        server.wait(timeout=10)
        License.objects.filter(pk=license.pk).update(status="suspended")  # no bump reaches Redis

        during = validate(license.plaintext_key).json()

        server = start_redis(port, tmp_path)  # a restarted Redis keeps nothing
        after = validate(license.plaintext_key).json()
        assert redis.Redis(port=port).keys("kw-unreachable:client:key:*"), "answered through Redis again"
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert during["code"] == "SUSPENDED" and after["code"] == "SUSPENDED"
    license.refresh_from_db()
    assert license.validation_count == 1  # the outage's; the two counted in Redis died with it


def start_redis(port: int, workdir: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            redis.Redis(port=port).ping()
            return server
        except redis.ConnectionError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("redis-server did not start")
