"""Usage telemetry of auth tokens: uses per token per day, with the last time and IP.

With the shared client cache (project/client_cache.py) a use is counted in Redis and
`flush` (the periodic job authtokens.tasks.flush_token_usage, every minute) writes what is pending in
one multi-row upsert: the dashboard lags by up to a minute, and a flush that fails leaves its counts
for the next one. Without it (the embedded default) every use is written at once, one upsert per
authenticated request.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.utils import timezone

from project.client_cache import client_cache

from .models import TokenUsageDay

USES = "token-uses"  # one hash: "n:<token id>:<day>" -> uses, "t:<token id>" -> "<Unix time> <ip>"


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


def record(token_id: int, ip: str | None) -> None:
    now = timezone.now()
    cache = client_cache()
    if cache is None:
        upsert([(token_id, now.date(), 1, now, ip)])
        return
    uses = cache.key("count", USES)
    with cache.pipeline() as pipe:
        pipe.hincrby(uses, f"n:{token_id}:{now.date().isoformat()}", 1)
        pipe.hset(uses, f"t:{token_id}", f"{now.timestamp()!r} {ip or ''}")


def _rows(fields: dict[str, str]) -> list[tuple[int, date, int, datetime, str | None]]:
    counts, last = defaultdict(dict), {}
    for field, value in fields.items():
        kind, _, rest = field.partition(":")
        if kind == "n":
            token_id, day = rest.split(":")
            counts[int(token_id)][date.fromisoformat(day)] = int(value)
        elif kind == "t":
            at, _, ip = value.partition(" ")
            last[int(rest)] = (datetime.fromtimestamp(float(at), tz=UTC), ip or None)
    rows = []
    for token_id, days in counts.items():
        at, ip = last.get(token_id, (timezone.now(), None))
        rows += [(token_id, day, uses, at, ip) for day, uses in sorted(days.items())]
    return rows


def flush() -> int:
    """Writes the uses counted in the shared cache; returns how many tokens had some."""
    cache = client_cache()
    if cache is None:
        return 0
    from .models import AuthToken

    flushed = 0
    for fields in cache.counts_take(USES):
        rows = _rows(fields)
        with transaction.atomic():
            live = set(AuthToken.objects.filter(pk__in={row[0] for row in rows}).values_list("pk", flat=True))
            upsert([row for row in rows if row[0] in live])  # a token deleted since is not counted
        flushed += len(live)
    return flushed
