import os
import uuid
from unittest import mock

import pytest
from rest_framework.test import APIClient

from accounts.models import Role

from .factories import PASSWORD, MembershipFactory, UserFactory, WorkspaceFactory
from .live_server import ChunkedBodyRequestHandler


@pytest.fixture(scope="session")
def _live_server_reads_chunked_bodies():
    # LiveServerThread builds its server with this module global, in the thread pytest-django starts.
    with mock.patch("django.test.testcases.QuietWSGIRequestHandler", ChunkedBodyRequestHandler):
        yield


@pytest.fixture(scope="session")
def live_server(_live_server_reads_chunked_bodies, live_server):
    """pytest-django's live server, reading chunked request bodies (tests/live_server.py says why)."""
    return live_server


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def signing_key_text():
    """One Ed25519 key per test session signs offline certificates (base64 of the raw 32 bytes)."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()


@pytest.fixture(autouse=True)
def _signing_key(settings, signing_key_text):
    settings.SIGNING_KEY = signing_key_text


@pytest.fixture(scope="session")
def parameter_key_text():
    """One Fernet key per test session encrypts secret parameters."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _parameter_keys(settings, parameter_key_text):
    settings.PARAMETER_KEYS = [parameter_key_text]


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def workspace(db):
    return WorkspaceFactory(name="Acme", slug="acme")


@pytest.fixture
def make_member(db):
    """make_member(workspace, role="member", **capabilities) -> Membership"""

    def make(workspace, role=Role.MEMBER, email=None, **capabilities):
        user = UserFactory(email=email) if email else UserFactory()
        return MembershipFactory(user=user, workspace=workspace, role=role, **capabilities)

    return make


@pytest.fixture
def owner(workspace, make_member):
    return make_member(workspace, Role.OWNER, email="owner@acme.test")


@pytest.fixture
def admin(workspace, make_member):
    return make_member(workspace, Role.ADMIN, email="admin@acme.test")


@pytest.fixture
def member(workspace, make_member):
    return make_member(workspace, Role.MEMBER, email="member@acme.test")


@pytest.fixture
def other_workspace(db):
    return WorkspaceFactory(name="Globex", slug="globex")


@pytest.fixture
def outsider(other_workspace, make_member):
    """An owner of another workspace: must see 404 everywhere in `workspace`."""
    return make_member(other_workspace, Role.OWNER, email="outsider@globex.test")


@pytest.fixture
def client_for(api_client):
    """client_for(membership_or_user) -> an APIClient logged in as that user (session auth)."""

    def make(who):
        user = getattr(who, "user", who)
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def task_worker(settings, transactional_db):
    """The production engine in the test process: tasks are queued as rows in the test database
    and `task_worker()` runs every ready one through django-tasks-db's own worker, until none is
    left, as `manage.py db_worker --batch` would. Needs real commits, hence transactional_db."""
    from django_tasks_db.management.commands.db_worker import Worker

    settings.TASKS = DATABASE_TASKS

    def run() -> int:
        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        )
        worker.run()
        return worker._run_tasks

    return run


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters (and cached snapshots) live in the cache: each test starts with none."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    def clear():
        # Only the in-process cache: never flush a Redis (or a dead server) a test pointed the cache at.
        if isinstance(caches["default"], LocMemCache):
            caches["default"].clear()

    clear()
    yield
    clear()


# ---------------------------------------------------------------- the shared client cache (Redis)

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def shared_client_cache(settings):
    """The client API's shared cache on a real Redis (TEST_REDIS_URL), as in production, under a key
    prefix of this test's own that is removed afterwards. Skips without Redis, except in CI."""
    import redis

    from project.client_cache import client_cache

    if not _redis_answers(TEST_REDIS_URL):
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Redis at {TEST_REDIS_URL}")
        pytest.skip(f"needs Redis at {TEST_REDIS_URL} (TEST_REDIS_URL)")
    prefix = f"kwtest-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": TEST_REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.CLIENT_CACHE_SECONDS = 60
    yield client_cache()
    raw = redis.Redis.from_url(TEST_REDIS_URL)
    for key in raw.scan_iter(f"{prefix}:*", count=1000):
        raw.delete(key)


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.django_db(transaction=True))])
def client_cache_mode(request):
    """Runs a test twice: with the embedded default (the client API reads the database and writes its
    counts in the request) and with the shared client cache on Redis (snapshots, counts buffered).
    The Redis run commits for real, since snapshots are invalidated when a transaction commits."""
    if request.param == "redis":
        request.getfixturevalue("shared_client_cache")
    return request.param


@pytest.fixture
def flush_counts():
    """Run the periodic jobs that write the counts buffered in the shared cache (nothing to do without
    it: the request wrote them)."""

    def flush():
        from authtokens.tasks import flush_token_usage
        from licensing.tasks import flush_validation_counts

        return flush_validation_counts.call(), flush_token_usage.call()

    return flush
