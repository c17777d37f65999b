"""The client cache holds one Redis connection per process (project/client_cache.py): a forked child
must open its own rather than talk over its parent's socket, and a Redis that is down when the first
request comes is an outage like any other, not an error."""

import os

import pytest

from project.client_cache import client_cache


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_process_connects_on_its_own(shared_client_cache):
    parent_connection = shared_client_cache.redis.client_id()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running any of pytest's clean-up
        try:
            child = client_cache()
            own = child is not shared_client_cache and child.redis.client_id() != parent_connection
            os.write(write_end, b"own" if own else b"shared")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    os.close(write_end)
    assert os.read(read_end, 16) == b"own"
    assert shared_client_cache.redis.client_id() == parent_connection  # the parent's still answers


def test_redis_down_at_the_first_use_means_no_shared_cache_for_now(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    settings.CLIENT_CACHE_SECONDS = 60

    with caplog.at_level("WARNING", logger="keyward.client_cache"):
        first, second = client_cache(), client_cache()

    assert first is None and second is None
    assert [r.getMessage() for r in caplog.records] == [
        "client_cache.unreachable: answering from the database (ConnectionError)"
    ]  # one attempt, then the retry delay: not a 2 s connection timeout on every call
