import pytest
from rest_framework.test import APIClient

from accounts.models import Role

from .factories import PASSWORD, MembershipFactory, UserFactory, WorkspaceFactory


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
