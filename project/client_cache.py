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

import logging
import os
import pickle
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed
from django.db import transaction

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)

logger = logging.getLogger("keyward.client_cache")

# A client request's cache work in one round trip (EVALSHA): count the request in each rate-limit
# window (INCR; EXPIRE on the window's first request); if any window is over its limit, stop there;
# else count the request (HINCRBY one field, HSET another) and read the keys. A script rather than a
# pipeline because a refused request must not be counted, so the counting depends on the windows.
# It replaced a pipeline for the windows and another for the read: a warm validation went from 3.68 M
# to 3.36 M instructions (callgrind, the whole request), and from two Redis round trips to one. Redis
# pays for it: 50 µs of its CPU per call on the 2-vCPU benchmark machine, against about 15 µs for the
# same commands sent one by one (INFO commandstats); the round trip it saves costs about 110 µs there.
# KEYS: the windows, the keys to read, then the counter hash when counting.
# ARGV: the number of windows, each window's limit and seconds, then the field to increment, the field
# to set and its value (an empty field: count nothing).
# Returns {the windows' counts, the keys' values (or nothing when refused)}.
ADMITTED_READ = """
local windows = tonumber(ARGV[1])
local counts = {}
local refused = false
for i = 1, windows do
    local count = redis.call('INCR', KEYS[i])
    if count == 1 then redis.call('EXPIRE', KEYS[i], ARGV[2 * i + 1]) end
    if count > tonumber(ARGV[2 * i]) then refused = true end
    counts[i] = count
end
if refused then return {counts, {}} end
local last = #KEYS
local field = 2 * windows + 2
if ARGV[field] ~= '' then
    redis.call('HINCRBY', KEYS[last], ARGV[field], 1)
    redis.call('HSET', KEYS[last], ARGV[field + 1], ARGV[field + 2])
    last = last - 1
end
if last == windows then return {counts, {}} end
return {counts, redis.call('MGET', unpack(KEYS, windows + 1, last))}
"""
GENERATION_SECONDS = 7 * 24 * 3600
FLUSH_LOCK_SECONDS = 600


@dataclass(frozen=True)
class Count:
    """Count a request in the counter hash `hash`: add 1 to `incr_field`, set `set_field`."""

    hash: str
    incr_field: str
    set_field: str
    set_value: str


class RateLimited(Exception):
    def __init__(self, wait: float):
        super().__init__(f"rate limited for {wait:.0f} s")
        self.wait = wait


@dataclass
class PendingWindows:
    """A request's rate-limit windows, (cache key, seconds, limit, seconds left in it) each, which its
    first snapshot read counts in its own round trip (WindowThrottling counts them itself when a
    request ends without one). Counted once."""

    windows: list[tuple[str, int, int, float]]
    counted: bool = False

    def raise_if_refused(self, counts: list[int]) -> None:
        waits = self.waits(counts)
        if waits:
            raise RateLimited(max(waits))

    def count_locally(self) -> list[int]:
        """Count the request in each window in this process's cache: without Redis, the embedded
        local-memory cache; with Redis unreachable, one of this process's own (limits then hold per
        process until Redis answers again). Each window's count."""
        self.counted = True
        store = _unreachable_windows if settings.CACHES["default"]["BACKEND"] == REDIS_BACKEND else cache
        return [_local_window_count(store, key, seconds) for key, seconds, _, _ in self.windows]

    def waits(self, counts: list[int]) -> list[float]:
        return [
            left for (_, _, limit, left), count in zip(self.windows, counts, strict=True) if count > limit
        ]


class ClientCache:
    def __init__(self, client: redis.Redis, *, prefix: str, ttl: int):
        self.redis = client
        self.prefix = prefix
        self.ttl = ttl
        self._admitted_read_script = client.register_script(ADMITTED_READ)

    def key(self, *parts) -> str:
        return ":".join([self.prefix, *map(str, parts)])

    # ------------------------------------------------------------ snapshots

    def snapshot_read(
        self,
        key: str,
        generations: list[str],
        *,
        windows: PendingWindows | None = None,
        count: Count | None = None,
    ) -> tuple[object | None, tuple]:
        """(payload, current generations) in one round trip; the payload is None when the snapshot is
        missing or was stored under other generations.

        With `windows` (the request's rate-limit windows, not counted yet) the request is counted in
        them first, and RateLimited is raised, with nothing else counted, when one is over its limit.
        With `count`, the request is counted (a validation) in the same round trip."""
        values = self.read([key, *generations], windows=windows, count=count)
        return self.current(values[0], tuple(values[1:]))

    def read(
        self, names: list[str], *, windows: PendingWindows | None = None, count: Count | None = None
    ) -> list[bytes | None]:
        """The raw values of these keys in one round trip, counting the request in its `windows` (unless
        an earlier read did) and by `count` first, as snapshot_read does."""
        if windows is not None and windows.counted:
            windows = None
        if windows is None and count is None:
            return self.redis.mget(names)
        return self._admitted_read(names, windows, count)

    def snapshots_read(self, wanted: list[tuple[str, list[str]]]) -> list[tuple[object | None, tuple]]:
        """snapshot_read for several (key, generations) at once, still one round trip."""
        values = iter(self.redis.mget([name for key, generations in wanted for name in (key, *generations)]))
        return [
            self.current(next(values), tuple(next(values) for _ in generations)) for _, generations in wanted
        ]

    @staticmethod
    def current(raw: bytes | None, current: tuple) -> tuple[object | None, tuple]:
        """(the snapshot in `raw` if it was stored under the `current` generations, else None; them)."""
        if raw is None:
            return None, current
        stored_under, payload = pickle.loads(raw)  # noqa: S301 - written by Keyward itself, like Django's cache
        return (payload if stored_under == current else None), current

    def _admitted_read(self, names: list[str], windows: PendingWindows | None, count: Count | None) -> list:
        counts, values = self._run_admitted_read(windows, names, count)
        if windows is not None:
            windows.raise_if_refused(counts)
        return values

    def _run_admitted_read(
        self, windows: PendingWindows | None, names: list[str], count: Count | None
    ) -> tuple[list[int], list]:
        window_keys, args = [], []
        if windows is not None:
            for key, seconds, limit, _left in windows.windows:
                window_keys.append(self.key(key))
                args += [limit, seconds]
        args = [len(window_keys), *args]
        keys = [*window_keys, *names]
        if count is not None:
            keys.append(count.hash)
            args += [count.incr_field, count.set_field, count.set_value]
        else:
            args.append("")
        result = self._admitted_read_script(keys=keys, args=args, client=self.redis)
        if windows is not None:
            windows.counted = True
        return result

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

    def windows_count(self, windows: PendingWindows) -> list[int]:
        """Count one request in each of its rate-limit windows (not refused here); each one's count."""
        return self._run_admitted_read(windows, [], None)[0]

    @contextmanager
    def pipeline(self):
        pipe = self.redis.pipeline(transaction=False)
        yield pipe
        pipe.execute()


def _local_window_count(store, key: str, seconds: int) -> int:
    store.add(key, 0, timeout=seconds)
    try:
        return store.incr(key)
    except ValueError:  # the window expired between the two calls
        store.add(key, 1, timeout=seconds)
        return 1


_unreachable_windows = LocMemCache("keyward-rate-windows", {})

_cache: ClientCache | None = None
_configured = False
_unreachable_until = 0.0


def _build() -> ClientCache | None:
    config = settings.CACHES["default"]
    ttl = settings.CLIENT_CACHE_SECONDS
    if config["BACKEND"] != REDIS_BACKEND or ttl <= 0:
        return None
    location = config["LOCATION"]
    url = location[0] if isinstance(location, (list, tuple)) else location.split(",")[0]
    # One connection per process, held, rather than one taken from a pool and handed back for each
    # command: a warm client request sends one command, and the checkout (which polls the socket for
    # stray data) and the return cost 20 µs of that command's 92 µs of CPU (in process, 3,000 warm
    # validations). Interleaved A/B, 6 rounds: client info 51% -> 55% of ping; validate 61.1% -> 61.7%,
    # within the noise. redis-py serialises threads' commands on it with a lock; pipelines still use
    # the pool. It connects at once, so client_cache() builds it inside the outage handling, and a
    # forked child builds its own (_forget_in_child).
    client = redis.Redis.from_url(
        url,
        socket_timeout=2,
        socket_connect_timeout=2,
        health_check_interval=30,
        single_connection_client=True,
    )
    prefix = f"{config.get('KEY_PREFIX') or 'keyward'}:client"
    return ClientCache(client, prefix=prefix, ttl=ttl)


def client_cache() -> ClientCache | None:
    """The shared client cache, or None when the client API works from the database alone: without
    Redis, or for CLIENT_CACHE_RETRY_SECONDS after Redis did not answer."""
    global _cache, _configured
    if _unreachable_until and time.monotonic() < _unreachable_until:
        return None
    if not _configured:
        try:
            _cache = _build()  # connects
        except UNREACHABLE as exc:
            cache_unreachable(exc)
            return None  # built once Redis answers again
        _configured = True
    return _cache


def cache_unreachable(exc: Exception) -> None:
    """Redis did not answer: the client API works from the database (counting its rate limits in
    this process) for CLIENT_CACHE_RETRY_SECONDS, then tries Redis again. Logged once per outage."""
    global _unreachable_until
    if not _unreachable_until:
        logger.warning("client_cache.unreachable: answering from the database (%s)", type(exc).__name__)
    _unreachable_until = time.monotonic() + settings.CLIENT_CACHE_RETRY_SECONDS


def from_cache_or_database(cached, uncached):
    """`cached(cache)` with the shared cache; `uncached()` without it, or when Redis does not answer.
    Customers' software must start even while Redis is down: the database can answer everything."""
    global _unreachable_until
    cache = client_cache()
    if cache is not None:
        try:
            result = cached(cache)
        except UNREACHABLE as exc:
            cache_unreachable(exc)
        else:
            _unreachable_until = 0.0
            return result
    return uncached()


def _reset(*, setting, **kwargs):
    global _configured, _unreachable_until
    if setting in {"CACHES", "CLIENT_CACHE_SECONDS"}:
        _configured, _unreachable_until = False, 0.0


setting_changed.connect(_reset)


def _forget_in_child() -> None:
    """A process forked from one that had connected (gunicorn --preload, say) must not share its
    parent's socket: it connects on its first command of its own."""
    global _cache, _configured
    _cache, _configured = None, False


os.register_at_fork(after_in_child=_forget_in_child)


def bump_on_commit(generations: Iterable[str]) -> None:
    """Bump these generations once the current transaction commits (at once outside one)."""
    cache = client_cache()
    if cache is None:
        return
    generations = list(generations)
    if generations:
        transaction.on_commit(lambda: cache.bump(generations), robust=True)
