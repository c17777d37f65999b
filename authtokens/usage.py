"""Usage telemetry of auth tokens: uses per token per day, with the last time and IP.

With the shared client cache (project/client_cache.py) a use is counted in Redis and
`flush` (the periodic job authtokens.tasks.flush_token_usage, every minute) writes what is pending in
one multi-row upsert: the dashboard lags by up to a minute, and a flush that fails leaves its counts
for the next one. Without it (the embedded default) every use is written at once, one upsert per
authenticated request.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.utils import timezone

from project.client_cache import Count, client_cache, from_cache_or_database

from .models import TokenUsageDay

USES = "token-uses"  # one hash: "n:<token hash>:<day>" -> uses, "t:<token hash>" -> "<Unix time> <ip>"
FLUSH_BATCH = 1000


def upsert(rows: list[tuple[int, date, int, datetime, str | None]]) -> None:
    """Adds (token_id, day, uses, at, ip) rows in ONE statement (SQLite >= 3.24 and PostgreSQL)."""
    if not rows:
        return
    meta = TokenUsageDay._meta
    table = connection.ops.quote_name(meta.db_table)
    day_field, at_field = meta.get_field("day"), meta.get_field("last_used_at")
    params = []
    for token_id, day, uses, at, ip in rows:
        params += [
            token_id,
            day_field.get_db_prep_value(day, connection),
            uses,
            at_field.get_db_prep_value(at, connection),
            ip,
        ]
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    sql = (
        f"INSERT INTO {table} (token_id, day, uses, last_used_at, last_used_ip) VALUES {values} "
        f"ON CONFLICT (token_id, day) DO UPDATE SET uses = {table}.uses + excluded.uses, "
        f"last_used_at = excluded.last_used_at, last_used_ip = excluded.last_used_ip"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def clean_ip(ip: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        return None


def usage_count(uses_key: str, token_hash: str, ip: str | None, now: datetime) -> Count:
    """The counting of one use of the token with this hash, for a snapshot read to apply."""
    return Count(
        uses_key,
        f"n:{token_hash}:{now.date().isoformat()}",
        f"t:{token_hash}",
        f"{now.timestamp()!r} {clean_ip(ip) or ''}",
    )


def usage_count_commands(pipe, uses_key: str, token_hash: str, ip: str | None, now: datetime) -> None:
    """Add the counting of one use of the token with this hash to a Redis pipeline."""
    count = usage_count(uses_key, token_hash, ip, now)
    pipe.hincrby(count.hash, count.incr_field, 1)
    pipe.hset(count.hash, count.set_field, count.set_value)


def record(token, ip: str | None) -> None:
    ip = clean_ip(ip)
    now = timezone.now()

    def counted_in_cache(cache):
        with cache.pipeline() as pipe:
            usage_count_commands(pipe, cache.key("count", USES), token.token_hash, ip, now)

    from_cache_or_database(counted_in_cache, lambda: upsert([(token.pk, now.date(), 1, now, ip)]))


def _parse(
    fields: dict[str, str],
) -> tuple[dict[str, dict[date, int]], dict[str, tuple[datetime, str | None]]]:
    counts, last = defaultdict(dict), {}
    for field, value in fields.items():
        kind, _, rest = field.partition(":")
        if kind == "n":
            token_hash, day = rest.split(":")
            counts[token_hash][date.fromisoformat(day)] = int(value)
        elif kind == "t":
            at, _, ip = value.partition(" ")
            last[rest] = (datetime.fromtimestamp(float(at), tz=UTC), ip or None)
    return counts, last


def flush() -> int:
    """Writes the uses counted in the shared cache; returns how many tokens had some."""
    cache = client_cache()
    if cache is None:
        return 0
    from .models import AuthToken

    flushed = 0
    for fields in cache.counts_take(USES):
        counts, last = _parse(fields)
        hashes = sorted(counts)
        for start in range(0, len(hashes), FLUSH_BATCH):
            batch = hashes[start : start + FLUSH_BATCH]
            ids = dict(AuthToken.objects.filter(token_hash__in=batch).values_list("token_hash", "pk"))
            rows = []
            for token_hash, token_id in ids.items():  # a hash that names no token is dropped
                at, ip = last.get(token_hash, (timezone.now(), None))
                rows += [(token_id, day, uses, at, ip) for day, uses in sorted(counts[token_hash].items())]
            with transaction.atomic():
                upsert(rows)
            flushed += len(ids)
    return flushed
