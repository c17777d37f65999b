"""Requests sent at the same moment from many threads, for the PostgreSQL row-lock tests."""

import threading
from collections import Counter

from django.db import connection
from django.test import Client


def post_in_parallel(count: int, request_for, outcome_of=lambda response: response.status_code) -> Counter:
    """`count` threads, each with its own client and database connection, released together by a
    barrier. `request_for(n)` gives (url, json body, extra headers) for thread n; the result counts
    `outcome_of(response)`, or ("crash", error) for a thread that raised."""
    barrier = threading.Barrier(count)
    outcomes, lock = [], threading.Lock()

    def send(n):
        try:
            url, body, headers = request_for(n)
            client = Client()
            barrier.wait()
            outcome = outcome_of(client.post(url, body, content_type="application/json", **headers))
        except Exception as exc:  # noqa: BLE001 - report any crash as an outcome the test can show
            outcome = ("crash", repr(exc))
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(outcomes)
