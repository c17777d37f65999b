"""Start Keyward under gunicorn the way deploy/ does (deploy/gunicorn.conf.py, DEBUG off), from a
directory outside the checkout, on a free loopback port."""

import base64
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(**overrides) -> dict:
    """DEBUG off with every required setting; no inherited test settings (pytest-env's)."""
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "DEBUG": "false",
        "SECRET_KEY": base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw() * 2).decode(),
        "SIGNING_KEY": base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode(),
        "PARAMETER_KEYS": Fernet.generate_key().decode(),
        "EMAIL_URL": "smtp://127.0.0.1:1",
        "CACHE_URL": "locmemcache://",
        "STATIC_MANIFEST": "false",
        "KEYWARD_ENV_FILE": "/dev/null",  # not the checkout's development .env
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    env.update(overrides)
    return env


def manage(env: dict, *args: str, cwd: Path) -> str:
    result = subprocess.run(
        [str(BIN / "keyward"), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@contextmanager
def gunicorn(env: dict, *, cwd: Path, port: int | None = None, workers: int = 1):
    """Yields the base URL once /healthz answers; stops gunicorn afterwards."""
    port = port or free_port()
    log = open(cwd / "gunicorn.log", "w+")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py")]
        + ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "project.wsgi"],
        env=env,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, base_url, log)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _wait_until_up(process, base_url: str, log, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn exited during start-up:\n{log.read()}")
        try:
            urllib.request.urlopen(f"{base_url}/healthz", timeout=2)
            return
        except OSError:  # refused, reset or timed out while the worker boots
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer at {base_url} within {timeout} s")


def get_json(url: str, **headers) -> tuple[int, dict, dict]:
    import json

    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)
