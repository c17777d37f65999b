"""The shared cache of the public client API (the hot path): snapshots, generations, counters and
rate-limit windows, in the Redis that CACHE_URL names.

It is on when CACHE_URL is Redis and CLIENT_CACHE_SECONDS > 0; `client_cache()` is None otherwise, and
the client API reads the database and writes its counters in the request, as a single process with
the embedded local-memory cache should (a process-local cache cannot be invalidated by the task
worker, so it holds no snapshots).

Why redis-py directly rather than Django's cache API: a client request needs several operations (read
a snapshot and its generations, count the validation, count the rate-limit windows), and a pipeline
makes each group one round trip; hashes let the flush job take every pending count at once. Django's
cache API offers neither (its `incr` alone is two round trips).

**Snapshots and generations.** A snapshot is stored with the generations it was read under, and is
used only while they are still current. A change bumps a generation after its transaction commits
(`bump_on_commit`). A request that misses reads the generations *before* it reads the database, so a
snapshot filled from rows that a concurrent change was replacing carries the old generation and is
never used: there is no window in which a stale snapshot can be written and then served. Snapshot
keys expire after CLIENT_CACHE_SECONDS (the safety net for a bump that never happened, say a write
made outside Keyward); generation keys live GENERATION_SECONDS, far longer than any snapshot.

**Counters** are hash fields incremented in the request and taken, all at once and atomically
(RENAME), by `counts_take` in the periodic flush job. A flush that fails before committing leaves
its taken hash behind, and the next flush applies it first.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import redis
from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
GENERATION_SECONDS = 7 * 24 * 3600
FLUSH_LOCK_SECONDS = 600


class ClientCache:
    def __init__(self, client: redis.Redis, *, prefix: str, ttl: int):
        self.redis = client
        self.prefix = prefix
        self.ttl = ttl

    def key(self, *parts) -> str:
        return ":".join([self.prefix, *map(str, parts)])

    # ------------------------------------------------------------ snapshots

    def snapshot_read(self, key: str, generations: list[str], also=None) -> tuple[object | None, tuple]:
        """(payload, current generations) in one round trip; the payload is None when the snapshot is
        missing or was stored under other generations. `also(pipeline)` may add commands (counts) to
        the same round trip."""
        return self.snapshots_read([(key, generations)], also=also)[0]

    def snapshots_read(
        self, wanted: list[tuple[str, list[str]]], also=None
    ) -> list[tuple[object | None, tuple]]:
        """snapshot_read for several (key, generations) at once, still one round trip."""
        names = [name for key, generations in wanted for name in (key, *generations)]
        pipe = self.redis.pipeline(transaction=False)
        pipe.mget(names)
        if also is not None:
            also(pipe)
        values = iter(pipe.execute()[0])
        found = []
        for _key, generations in wanted:
            raw, current = next(values), tuple(next(values) for _ in generations)
            payload = None
            if raw is not None:
                stored_under, payload = pickle.loads(raw)  # noqa: S301 - written by Keyward itself, like Django's cache
                payload = payload if stored_under == current else None
            found.append((payload, current))
        return found

    def snapshot_write(self, key: str, generations: tuple, payload) -> None:
        self.redis.set(key, pickle.dumps((generations, payload), pickle.HIGHEST_PROTOCOL), ex=self.ttl)

    def bump(self, generations: Iterable[str]) -> None:
        """Make every snapshot stored under these generations stale (at once, on every server)."""
        pipe = self.redis.pipeline(transaction=False)
        for generation in set(generations):
            pipe.incr(generation)
            pipe.expire(generation, GENERATION_SECONDS)
        pipe.execute()

    # ------------------------------------------------------------ counters

    def counts_take(self, name: str) -> Iterator[dict[str, str]]:
        """Yields every pending field of the counter hash `name` (leftovers of a failed flush first),
        each batch removed once the caller's block has finished without error. One flush at a time."""
        key, taken = self.key("count", name), self.key("count", name, "taken")
        lock = self.redis.lock(
            self.key("count", name, "lock"), timeout=FLUSH_LOCK_SECONDS, blocking_timeout=0
        )
        if not lock.acquire():
            return
        try:
            for _ in range(2):  # a leftover from a failed flush, then what is pending now
                if not self.redis.exists(taken):
                    try:
                        self.redis.rename(key, taken)
                    except redis.ResponseError:  # no such key: nothing is pending
                        return
                fields = {
                    field.decode(): value.decode() for field, value in self.redis.hgetall(taken).items()
                }
                yield fields
                self.redis.delete(taken)
        finally:
            lock.release()

    # ------------------------------------------------------------ rate-limit windows

    def window_counts(self, windows: list[tuple[str, int]]) -> list[int]:
        """Count one request in each (key, seconds) fixed window; returns each window's count so far.
        One INCR each; the first request of a window also sets its expiry (a second round trip once
        per window). Window keys carry the window's number, so one left without an expiry by a
        process that died in between is never counted in again."""
        pipe = self.redis.pipeline(transaction=False)
        for key, _seconds in windows:
            pipe.incr(key)
        counts = pipe.execute()
        opened = [(key, seconds) for (key, seconds), count in zip(windows, counts, strict=True) if count == 1]
        if opened:
            pipe = self.redis.pipeline(transaction=False)
            for key, seconds in opened:
                pipe.expire(key, seconds)
            pipe.execute()
        return counts

    @contextmanager
    def pipeline(self):
        pipe = self.redis.pipeline(transaction=False)
        yield pipe
        pipe.execute()


_cache: ClientCache | None = None
_configured = False


def _build() -> ClientCache | None:
    config = settings.CACHES["default"]
    ttl = settings.CLIENT_CACHE_SECONDS
    if config["BACKEND"] != REDIS_BACKEND or ttl <= 0:
        return None
    location = config["LOCATION"]
    url = location[0] if isinstance(location, (list, tuple)) else location.split(",")[0]
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)
    prefix = f"{config.get('KEY_PREFIX') or 'keyward'}:client"
    return ClientCache(client, prefix=prefix, ttl=ttl)


def client_cache() -> ClientCache | None:
    """The shared client cache, or None when the client API works from the database alone."""
    global _cache, _configured
    if not _configured:
        _cache, _configured = _build(), True
    return _cache


def _reset(*, setting, **kwargs):
    global _configured
    if setting in {"CACHES", "CLIENT_CACHE_SECONDS"}:
        _configured = False


setting_changed.connect(_reset)


def bump_on_commit(generations: Iterable[str]) -> None:
    """Bump these generations once the current transaction commits (at once outside one)."""
    cache = client_cache()
    if cache is None:
        return
    generations = list(generations)
    if generations:
        transaction.on_commit(lambda: cache.bump(generations), robust=True)
