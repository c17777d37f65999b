"""`make bench`: throughput of POST /api/v1/licenses/validate against a trivial JSON endpoint.

1. Creates (or resets) a database of its own: PostgreSQL `keyward_bench` when
   PostgreSQL answers at BENCH_DATABASE_URL, otherwise a SQLite file.
2. Migrates it and seeds 100,000 licenses (bench/seed.py).
3. Starts gunicorn with production settings (DEBUG off, throwaway secrets).
4. Runs wrk against GET /api/v1/ping and POST /api/v1/licenses/validate,
   interleaved, several short rounds each, and prints a table and the ratio.
5. Stops gunicorn and drops the database, even on failure.

Settings from the environment (all optional): BENCH_DATABASE_URL, BENCH_LICENSES
(100000), BENCH_ROUNDS (3), BENCH_SECONDS (10), BENCH_CONNECTIONS (16),
BENCH_THREADS (wrk threads, 2), BENCH_WORKERS (gunicorn workers, 2 x cores + 1),
BENCH_WORKER_THREADS (1: sync workers), BENCH_KEEP_DB (1 keeps the database).
"""

import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA_SCRIPT = Path(__file__).resolve().parent / "load.lua"
TARGET_RATIO = 0.70

LICENSES = int(os.environ.get("BENCH_LICENSES", 100_000))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
SECONDS = int(os.environ.get("BENCH_SECONDS", 10))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 16))
THREADS = int(os.environ.get("BENCH_THREADS", 2))
WORKERS = int(os.environ.get("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1))
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", 1))  # > 1: gunicorn's gthread workers
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/keyward_bench")


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- database ----------------------------------------------------------------------------------------


def postgres_reset(url: str) -> bool:
    """Drop and create the benchmark database; False if PostgreSQL does not answer."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        say(f"PostgreSQL is not reachable ({str(error).strip().splitlines()[0]}); falling back to SQLite.")
        return False
    return True


def postgres_drop(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


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


def production_environment(database_url: str) -> dict:
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
    )
    env.setdefault("SIGNING_KEY", signing_key_pem())
    env.setdefault("PARAMETER_KEYS", parameter_key())
    env.setdefault("EMAIL_URL", "smtp://127.0.0.1:25")  # never used; console mail would stop the start-up
    # wrk is one client on one IP: lift the rate limits so every request does the real work, while
    # the throttles still count each one (their cache round trips are part of what is measured).
    for limit in ("CLIENT_IP", "LICENSE_KEY", "AUTH_TOKEN"):
        env.setdefault(f"RATE_LIMIT_{limit}", "100000000/min")
    return env


# --- server ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"), "project.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--threads", str(WORKER_THREADS),
        "--access-logfile", "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
        "--error-logfile", str(log_path), "--log-level", "warning",
    ]  # fmt: skip
    kind = "sync workers" if WORKER_THREADS == 1 else f"gthread workers x {WORKER_THREADS} threads"
    say(f"starting gunicorn: {WORKERS} {kind} on 127.0.0.1:{port}")
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def wait_until_up(base_url: str, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up; see its log above.")
        try:
            with urllib.request.urlopen(f"{base_url}/api/v1/ping", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on {base_url} within {timeout:.0f} s.")


def stop(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def check_validate(base_url: str, key: str) -> None:
    """One real request before the load, so a broken endpoint fails loudly instead of benchmarking 4xx."""
    request = urllib.request.Request(
        f"{base_url}/api/v1/licenses/validate",
        data=json.dumps({"key": key}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"validate answered {error.code}: {error.read()[:300]!r}") from error
    if body.get("valid") is not True:
        raise RuntimeError(f"validate did not accept a seeded key: {body}")


# --- load ----------------------------------------------------------------------------------------------


@dataclass
class Result:
    endpoint: str
    round: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def run_wrk(base_url: str, target: str, seconds: int, keys_file: Path) -> dict:
    command = [
        shutil.which("wrk") or "/usr/bin/wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s",
        "-s", str(LUA_SCRIPT), base_url,
    ]  # fmt: skip
    env = {**os.environ, "BENCH_TARGET": target, "BENCH_KEYS_FILE": str(keys_file)}
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next((row for row in output.splitlines() if row.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    return json.loads(line.removeprefix("BENCH_RESULT "))


def measure(base_url: str, target: str, round_number: int, keys_file: Path) -> Result:
    raw = run_wrk(base_url, target, SECONDS, keys_file)
    return Result(
        endpoint=target,
        round=round_number,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        errors=raw["errors_status"] + raw["errors_socket"],
    )


def print_report(results: list[Result]) -> float:
    print()
    print(f"{'round':>5}  {'endpoint':<28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for r in results:
        print(
            f"{r.round:>5}  {ENDPOINT_NAMES[r.endpoint]:<28} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
            f"{r.errors:>7}"
        )
    print()
    summary = {}
    for endpoint in ("ping", "validate"):
        rows = [r for r in results if r.endpoint == endpoint]
        summary[endpoint] = sum(r.requests for r in rows) / sum(r.seconds for r in rows)
        print(
            f"{'all':>5}  {ENDPOINT_NAMES[endpoint]:<28} {summary[endpoint]:>9.0f} "
            f"{statistics.median(r.p50_ms for r in rows):>8.2f} {max(r.p99_ms for r in rows):>8.2f} "
            f"{sum(r.errors for r in rows):>7}"
        )
    ratio = summary["validate"] / summary["ping"]
    verdict = "meets" if ratio >= TARGET_RATIO else "is BELOW"
    print(f"\nvalidate / trivial throughput: {ratio:.0%} ({verdict} the {TARGET_RATIO:.0%} target)")
    print("(all: total requests / total seconds; p50 is the median of the rounds, p99 the worst round)")
    return ratio


ENDPOINT_NAMES = {"ping": "GET /api/v1/ping", "validate": "POST /api/v1/licenses/validate"}


# --- main ------------------------------------------------------------------------------------------------


def prepare_database(workdir: Path) -> tuple[str, bool]:
    if postgres_reset(DATABASE_URL):
        say(f"database: PostgreSQL {urlsplit(DATABASE_URL).path.lstrip('/')} (reset)")
        return DATABASE_URL, True
    path = workdir / "bench.sqlite3"
    say(f"database: SQLite {path}")
    return f"sqlite:///{path}", False


def django_command(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True)


def main() -> int:
    if not (shutil.which("wrk") or Path("/usr/bin/wrk").exists()):
        say("wrk is not installed: `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`.")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="keyward-bench-"))
    keys_file = workdir / "keys.txt"
    server = None
    database_url, on_postgres = prepare_database(workdir)
    try:
        env = production_environment(database_url)
        say("migrating")
        django_command(env, "manage.py", "migrate", "--noinput", "-v", "0")
        say(f"seeding {LICENSES:,} licenses")
        django_command(env, "bench/seed.py", "--count", str(LICENSES), "--keys-file", str(keys_file))

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = start_gunicorn(env, port, workdir / "gunicorn.log")
        wait_until_up(base_url, server)
        check_validate(base_url, keys_file.read_text().split("\n", 1)[0])

        say("warming up (2 s each)")
        for target in ("ping", "validate"):
            run_wrk(base_url, target, 2, keys_file)
        say(f"{ROUNDS} rounds of {SECONDS} s per endpoint, interleaved, wrk -t{THREADS} -c{CONNECTIONS}")
        results = []
        for round_number in range(1, ROUNDS + 1):
            for target in ("ping", "validate"):
                results.append(measure(base_url, target, round_number, keys_file))
                say(f"round {round_number} {target}: {results[-1].rps:.0f} req/s")
        print_report(results)
        return 1 if any(r.errors for r in results) else 0
    finally:
        stop(server)
        log = workdir / "gunicorn.log"
        if log.exists() and log.read_text().strip():
            say("gunicorn log:\n" + log.read_text()[-3000:])
        if on_postgres and not os.environ.get("BENCH_KEEP_DB"):
            postgres_drop(database_url)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.CalledProcessError) as error:
        say(f"failed: {error}")
        sys.exit(1)
