"""The activation limit holds under 50 parallel first activations spread over two servers, and repeat
activations of the machines that got in never take a slot (issue 12).

The requests leave a thread pool together (a barrier) and alternate between the servers; each server
runs 2 workers, so up to four activations really run at once against the shared database. On
PostgreSQL the license row lock serialises them; on SQLite the IMMEDIATE transactions do (settings.py:
the write lock is taken at BEGIN and waited for), so the test runs on both. Any 5xx (e.g. "database
is locked") fails it, with the server logs.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

PARALLEL = 50


def _at_once(count: int, send) -> list:
    """send(n) for n in range(count), released together from `count` threads; results in order."""
    barrier = threading.Barrier(count)

    def run(n):
        barrier.wait(timeout=30)
        return send(n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _outcome(response) -> tuple:
    status, body = response
    return status, body.get("code")


@pytest.mark.parametrize("via", ["license key", "auth token"])
def test_exactly_the_limit_of_50_parallel_first_activations_get_in(hot, via):
    limit = hot.data["limit"]
    seat = hot.seats["limit-key" if via == "license key" else "limit-token"]
    fingerprints = [f"{via.split()[-1]}-parallel-{n:02}" for n in range(PARALLEL)]

    def activate(server, fingerprint):
        if via == "license key":
            return hot.key_activate(server, seat["key"], fingerprint)
        return hot.token_activate(server, seat["token"], fingerprint)

    responses = _at_once(PARALLEL, lambda n: activate(hot.servers[n % 2], fingerprints[n]))

    outcomes = Counter(_outcome(response) for response in responses)
    assert outcomes == {(201, None): limit, (422, "ACTIVATION_LIMIT_REACHED"): PARALLEL - limit}
    winners = {fingerprints[n] for n, (status, _) in enumerate(responses) if status == 201}
    won_ids = {body["activation"]["id"] for status, body in responses if status == 201}

    # Every machine that got in activates again on both servers: same activation, no new slot.
    again = _at_once(2 * limit, lambda n: activate(hot.servers[n % 2], sorted(winners)[n // 2]))
    assert [status for status, _ in again] == [200] * (2 * limit)
    assert {body["activation"]["id"] for _, body in again} == won_ids
    # A machine that was refused is still refused: the repeats took nothing.
    loser = next(fp for fp in fingerprints if fp not in winners)
    assert _outcome(activate(hot.servers[0], loser)) == (422, "ACTIVATION_LIMIT_REACHED")

    status, body = hot.workspace(hot.servers[1], "GET", f"licenses/{seat['license']}/")
    assert status == 200
    assert sorted(machine["fingerprint"] for machine in body["activations"]) == sorted(winners)
    for server in hot.servers:
        for fingerprint in winners:
            assert hot.validate(server, seat["key"], fingerprint=fingerprint)["code"] == "VALID"
