"""What `make bench` sends: the pools of request lines that wrk's script (load.lua) reads, and the same
requests from Python, for the checks before the load and for priming the cache."""

import http.client
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from servers import Server, say

PRODUCT = "bench-app"  # bench/seed.py's product
MAX_RPS = 20_000  # a bound on any scenario's rate, to size the slices of new keys


# --- pools ---------------------------------------------------------------------------------------------


class Lines:
    """A seeded file of request lines, which wrk sends in random order, again and again."""

    order = "random"

    def __init__(self, path: Path):
        self.path = path
        self.lines = [line.split() for line in path.read_text().splitlines() if line]

    def first(self) -> list[str]:
        return self.lines[0]

    def file_for(self, seconds: int) -> Path:
        return self.path

    def consumed(self, requests: int) -> None:
        pass


class FreshKeys(Lines):
    """Keys no request has used yet, handed out in order, so that every request is a key's first.
    Each wrk run gets the unused keys from where the last one stopped."""

    order = "walk"

    def __init__(self, path: Path, workdir: Path):
        super().__init__(path)
        self.used = 0
        self.slice_path = workdir / "fresh_slice.txt"

    def first(self) -> list[str]:
        line = self.lines[self.used]
        self.consumed(1)
        return line

    def file_for(self, seconds: int) -> Path:
        part = self.lines[self.used : self.used + MAX_RPS * seconds]
        self.slice_path.write_text("".join(f"{line[0]}\n" for line in part))
        return self.slice_path

    def consumed(self, requests: int) -> None:
        self.used += requests
        if self.used >= len(self.lines):  # load.lua went round its slice again
            say(f"warning: all {len(self.lines):,} unused keys are used up; from here keys repeat")
            self.used = 0


def load_pools(big_dir: Path, small_dir: Path, workdir: Path) -> dict[str, Lines]:
    return {
        "installations": Lines(big_dir / "installations.txt"),
        "tokens": Lines(big_dir / "tokens.txt"),
        "fresh": FreshKeys(big_dir / "fresh_keys.txt", workdir),
        "small": Lines(small_dir / "fresh_keys.txt"),
    }


# --- the same requests from Python: the checks and the priming --------------------------------------------


def http_request(target: str, line: list[str]) -> tuple[str, str, dict, bytes | None]:
    """The request load.lua sends for this line (method, path, headers, body)."""
    json_type = {"Content-Type": "application/json"}
    if target == "validate":
        body = {"key": line[0], **({"fingerprint": line[1]} if len(line) > 1 else {})}
        return "POST", "/api/v1/licenses/validate", json_type, json.dumps(body).encode()
    bearer = {"Authorization": f"Bearer {line[0]}"}
    if target == "activate":
        body = {"product": PRODUCT, "machine": {"fingerprint": line[1]}}
        return "POST", "/api/v1/client/activate", {**json_type, **bearer}, json.dumps(body).encode()
    if target == "info":
        return "GET", f"/api/v1/client/info?product={PRODUCT}", bearer, None
    raise ValueError(f"no request for target {target}")


EXPECTED = {  # what a correct answer looks like, and in words
    "validate": (lambda status, body: status == 200 and body.get("valid") is True, "200, valid"),
    "activate": (
        lambda status, body: status == 200 and body.get("activated") is True,
        "200 (not 201: the machine is already activated), activated",
    ),
    "info": (
        lambda status, body: status == 200 and body.get("is_license_activated") is True,
        "200, activated",
    ),
}


def send_checked(conn: http.client.HTTPConnection, target: str, line: list[str]) -> None:
    method, path, headers, body = http_request(target, line)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    try:
        data = json.loads(payload)
    except ValueError:
        data = {}
    is_right, expected = EXPECTED[target]
    if not (isinstance(data, dict) and is_right(response.status, data)):
        raise RuntimeError(
            f"{method} {path} answered {response.status} {payload[:300]!r}; expected {expected}"
        )


def check(server: Server, target: str, line: list[str]) -> None:
    """One request before any load, so that a broken endpoint fails loudly."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        send_checked(conn, target, line)
    finally:
        conn.close()


def prime(server: Server, target: str, pool: Lines, seconds: float, connections: int) -> tuple[int, float]:
    """Send every line of the pool once, on `connections` connections in parallel, checking each answer,
    so that the round that follows measures a warm cache. Stops after `seconds`.
    Returns how many were sent and how long it took."""
    started = time.monotonic()

    def walk(lines: list[list[str]]) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            for sent, line in enumerate(lines):
                if time.monotonic() > started + seconds:
                    return sent
                send_checked(conn, target, line)
            return len(lines)
        finally:
            conn.close()

    with ThreadPoolExecutor(connections) as executor:
        done = sum(executor.map(walk, [pool.lines[i::connections] for i in range(connections)]))
    return done, time.monotonic() - started
