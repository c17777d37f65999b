"""Two real Keyward servers sharing one database and one Redis, for the hot-path proofs (issue 12).

Each server is its own gunicorn master with 2 sync workers, DEBUG off, started as deploy/ does
(tests/deploy/servers.py), on its own free loopback port. They share:

- the database: a SQLite file in a temporary directory, or, when the suite runs on PostgreSQL, a
  database of its own named after the test database (`test_<name>[_gwN]_hotpath`), so parallel runs
  of different people or CI jobs never meet; created, migrated (`keyward migrate`) and dropped here;
- the cache: `CACHE_URL` is the Redis database of TEST_REDIS_URL (default redis://127.0.0.1:6379/9),
  under a key prefix of this run's own (`CACHE_KEY_PREFIX`), whose keys are deleted at the end; the
  database is never flushed, so another suite using it at the same moment keeps its keys.
  `CLIENT_CACHE_SECONDS` is left at its default (60 s), so a snapshot that
  a change failed to invalidate outlives every test here and fails it.

The rate limits are lifted: one test client on one IP sends hundreds of requests. Without Redis the
tests skip with the reason, unless the environment variable CI is set (then they fail).

Set-up data comes from seed.py, run with the servers' environment through Keyward's services.
"""

import json
import os
import subprocess
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from tests.deploy.servers import BIN, gunicorn, manage, production_env

HERE = Path(__file__).resolve().parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
NO_LIMIT = "1000000/min"


@pytest.fixture(scope="package")
def hot_cache_prefix():
    """The servers' CACHE_KEY_PREFIX on the Redis of TEST_REDIS_URL; its keys go when the tests end."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"Redis does not answer at {REDIS_URL} ({error}): the two-server hot-path tests need it"
        client.close()
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    prefix = f"kwhot-{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture(scope="package")
def hot_database_url(django_db_modify_db_settings, tmp_path_factory):
    """The URL of a migrated-later, empty database that subprocesses can open."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        yield f"sqlite:///{tmp_path_factory.mktemp('hotpath-db') / 'keyward.sqlite3'}"
        return
    import psycopg

    # The test database's name (with pytest-xdist's _gwN suffix when there is one) + our own suffix.
    name = ((db.get("TEST") or {}).get("NAME") or f"test_{db['NAME']}") + "_hotpath"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    user, password = db.get("USER") or "postgres", db.get("PASSWORD") or ""
    credentials = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    maintenance = dict(host=host, port=port, user=user, password=password, dbname="postgres", autocommit=True)
    with psycopg.connect(**maintenance) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{credentials}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(**maintenance) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class HotPath:
    """The two servers (base URLs), the seeded secrets, and helpers to call them."""

    servers: tuple[str, str]
    data: dict
    logs: Path
    calls: list = field(default_factory=list)

    @property
    def seats(self) -> dict:
        return self.data["seats"]

    # ------------------------------------------------------------------ raw HTTP

    def call(self, server: str, method: str, path: str, body=None, token: str | None = None, query=None):
        """(status, JSON body or {}) of one request; a 5xx fails the test at once, with the server log."""
        url = f"{server}{path}" + (f"?{urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        assert status < 500, f"{method} {url} answered {status}: {raw[:500]!r}\n{self.server_log()}"
        return status, (json.loads(raw) if raw else {})

    def server_log(self) -> str:
        return "\n".join(
            f"--- {log.name} (last lines)\n" + "\n".join(log.read_text().splitlines()[-20:])
            for log in sorted(self.logs.glob("server-*.log"))
        )

    # ------------------------------------------------------------------ the hot endpoints

    def validate(self, server, key, fingerprint=None, activation_id=None):
        body = {"key": key}
        if fingerprint:
            body["fingerprint"] = fingerprint
        if activation_id:
            body["activation_id"] = activation_id
        status, answer = self.call(server, "POST", "/api/v1/licenses/validate", body)
        assert status == 200, answer
        return answer

    def key_activate(self, server, key, fingerprint):
        body = {"key": key, "fingerprint": fingerprint, "name": fingerprint, "platform": "linux"}
        return self.call(server, "POST", "/api/v1/licenses/activate", body)

    def token_activate(self, server, token, fingerprint):
        machine = {"fingerprint": fingerprint, "name": fingerprint, "platform": "linux"}
        body = {"product": self.data["product"], "machine": machine}
        return self.call(server, "POST", "/api/v1/client/activate", body, token=token)

    def client_info(self, server, token, fingerprint=None):
        query = {"product": self.data["product"]}
        if fingerprint:
            query["fingerprint"] = fingerprint
        return self.call(server, "GET", "/api/v1/client/info", token=token, query=query)

    # ------------------------------------------------------------------ doors that change state

    def staff(self, server, method, path, body=None):
        """The staff REST API with the read-write vendor API key."""
        return self.call(server, method, f"/api/v1/staff/{path}", body, token=self.data["vendor_key"])

    def workspace(self, server, method, path, body=None, token=None):
        """The workspace REST API, as the owner unless another developer token is given."""
        url = f"/api/v1/workspaces/{self.data['workspace']}/{path}"
        return self.call(server, method, url, body, token=token or self.data["owner_token"])

    # ------------------------------------------------------------------ the check

    def everywhere(self, read, expected, *, times: int = 3):
        """`read(server)` on server A then B, `times` each (each server has 2 workers: repeated
        requests reach both), must give `expected` every time. Run before a change, it asserts the
        current answer and warms every cache on the way; after it, it proves the change is visible on
        the very next requests of both servers."""
        seen = {server: [read(server) for _ in range(times)] for server in self.servers}
        wrong = {server: answers for server, answers in seen.items() if any(a != expected for a in answers)}
        assert not wrong, f"expected {expected!r} on both servers; got {wrong}"


@pytest.fixture(scope="package")
def hot(hot_cache_prefix, hot_database_url, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hotpath")
    env = production_env(
        DATABASE_URL=hot_database_url,
        CACHE_URL=REDIS_URL,
        CACHE_KEY_PREFIX=hot_cache_prefix,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback; the cookies too (Django admin log-in)
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="project.settings",
        # CLIENT_CACHE_SECONDS stays at its default on purpose (see the module docstring).
        **{
            f"RATE_LIMIT_{name}": NO_LIMIT
            for name in ("CLIENT_IP", "LICENSE_KEY", "LICENSE_ACTIVATIONS", "AUTH_TOKEN")
        },
    )
    manage(env, "migrate", "--noinput", cwd=workdir)
    seeded = subprocess.run(
        [str(BIN / "python"), str(HERE / "seed.py")],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seeded.returncode == 0, seeded.stderr
    data = json.loads(seeded.stdout.strip().splitlines()[-1])
    # Both servers start, and later stop, at the same time: a gunicorn master takes seconds for each.
    managers = [gunicorn(env, cwd=workdir, workers=2, log_name=f"server-{name}.log") for name in ("a", "b")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        starts = [pool.submit(manager.__enter__) for manager in managers]
    running = [manager for manager, start in zip(managers, starts, strict=True) if start.exception() is None]
    try:
        servers = tuple(start.result() for start in starts)  # the first start-up failure, with its log
        yield HotPath(servers=servers, data=data, logs=workdir)
    finally:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda manager: manager.__exit__(None, None, None), running))
