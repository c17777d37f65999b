"""What `make bench` (bench/run.py) stands on: its databases, its Redis database, and gunicorn servers
with production settings. Nothing here knows about scenarios or wrk."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- databases ---------------------------------------------------------------------------------------


def _maintenance_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def with_database_name(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def postgres_reachable(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(_maintenance_url(url), connect_timeout=3):
            return True
    except psycopg.OperationalError as error:
        say(f"PostgreSQL is not reachable ({str(error).strip().splitlines()[0]}); falling back to SQLite.")
        return False


def postgres_create(url: str, template: str | None = None) -> None:
    """Drop and create the database; with a template, as a copy of that (migrated) database."""
    import psycopg

    with psycopg.connect(_maintenance_url(url), autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')
        clause = f' TEMPLATE "{database_name(template)}"' if template else ""
        conn.execute(f'CREATE DATABASE "{database_name(url)}"{clause}')


def postgres_drop(url: str) -> None:
    import psycopg

    with psycopg.connect(_maintenance_url(url), autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')


@dataclass
class Databases:
    """The big database (every scenario but one) and the small one (the miss path at a small scale)."""

    big: str
    small: str
    on_postgres: bool

    def create_small_from_big(self) -> None:
        """Called once the big one is migrated and still empty: a copy is faster than migrating twice."""
        if self.on_postgres:
            postgres_create(self.small, template=self.big)
        else:
            shutil.copyfile(self.big.removeprefix("sqlite:///"), self.small.removeprefix("sqlite:///"))

    def drop(self) -> None:
        if self.on_postgres:
            postgres_drop(self.big)
            postgres_drop(self.small)


def prepare_databases(url: str, workdir: Path) -> Databases:
    if postgres_reachable(url):
        small = with_database_name(url, database_name(url) + "_small")
        postgres_create(url)
        say(f"databases: PostgreSQL {database_name(url)} and {database_name(small)} (reset)")
        return Databases(url, small, on_postgres=True)
    say(f"databases: SQLite files in {workdir}")
    return Databases(f"sqlite:///{workdir}/bench.sqlite3", f"sqlite:///{workdir}/bench_small.sqlite3", False)


# --- Redis ---------------------------------------------------------------------------------------------


def redis_flush(url: str) -> bool:
    """Empty the bench's Redis database; False if Redis does not answer."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).flushdb()
    except redis.RedisError as error:
        say(f"Redis is not reachable at {url} ({error}); the servers keep the local-memory cache.")
        return False
    return True


# --- environment ---------------------------------------------------------------------------------------


def signing_key_pem() -> str:
    """A throwaway Ed25519 key, for settings that require SIGNING_KEY when DEBUG is off."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )


def parameter_key() -> str:
    """A throwaway Fernet key, for settings that require PARAMETER_KEYS when DEBUG is off."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def production_environment(database_url: str, cache_url: str | None) -> dict:
    """Production settings (DEBUG off, throwaway secrets) on the given database and cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        STATIC_MANIFEST="false",
        DATABASE_URL=database_url,
        CONN_MAX_AGE="600",
        LOG_LEVEL="WARNING",
        PYTHONWARNINGS="ignore:No directory at",  # whitenoise: no collectstatic for a benchmark
        DJANGO_SETTINGS_MODULE="project.settings",
        CACHE_KEY_PREFIX="keyward-bench",
    )
    if cache_url:
        env["CACHE_URL"] = cache_url
    env.setdefault("SIGNING_KEY", signing_key_pem())
    env.setdefault("PARAMETER_KEYS", parameter_key())
    env.setdefault("EMAIL_URL", "smtp://127.0.0.1:25")  # never used; console mail would stop the start-up
    # wrk is one client on one IP: lift the rate limits so every request does the real work, while
    # the throttles still count each one (their cache round trips are part of what is measured).
    for limit in ("CLIENT_IP", "LICENSE_KEY", "AUTH_TOKEN"):
        env.setdefault(f"RATE_LIMIT_{limit}", "100000000/min")
    return env


def django_command(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True)


# --- gunicorn ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_gunicorn(name: str, env: dict, workers: int, threads: int, workdir: Path) -> Server:
    port = free_port()
    log_path = workdir / f"gunicorn-{name}.log"
    command = [
        str(BIN / "gunicorn"), "project.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
        "--access-logfile", "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
        "--error-logfile", str(log_path), "--log-level", "warning",
    ]  # fmt: skip
    kind = "sync workers" if threads == 1 else f"gthread workers x {threads} threads"
    say(f"starting gunicorn '{name}': {workers} {kind} on 127.0.0.1:{port}")
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    return Server(name, port, process, log_path)


def wait_until_up(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn '{server.name}' exited during start-up; see its log below.")
        try:
            with urllib.request.urlopen(f"{server.base_url}/api/v1/ping", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn '{server.name}' did not answer at {server.base_url} in {timeout:.0f} s.")


def stop(server: Server) -> None:
    """Stop gunicorn and print its error log if it wrote one."""
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
    if server.log_path.exists() and server.log_path.read_text().strip():
        say(f"gunicorn '{server.name}' log:\n" + server.log_path.read_text()[-3000:])
