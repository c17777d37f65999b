"""Usage telemetry storage: per token per day, one SQL statement per flush.

AUTH_TOKEN_USAGE_BUFFER_SECONDS = 0 (the default) writes every use at once:
one upsert per authenticated request, so numbers are always exact.

Above 0, uses are counted in the cache (CACHE_URL: Redis in production shares
the buffer between workers; locmem buffers per process) and written at most
once per token per that many seconds, by the first request after the window
closes, in one multi-row upsert (today and any leftover from yesterday). Most
requests then write nothing. The price: the dashboard lags by up to one
window while a token is in use, and with locmem the last window of a process
that stops is lost. `manage.py flush_token_usage` writes what a shared cache
holds (run it before reading exact numbers, or from cron).
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from .models import TokenUsageDay

KEY_TTL = 3 * 24 * 3600  # long enough to survive a quiet weekend without losing yesterday's counts


def _count_key(token_id: int, day: date) -> str:
    return f"authtokens:usage:{token_id}:{day.isoformat()}"


def _gate_key(token_id: int) -> str:
    return f"authtokens:usage-flush:{token_id}"


def _last_key(token_id: int) -> str:
    return f"authtokens:usage-last:{token_id}"


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


def _take(key: str) -> int:
    """Removes and returns the count buffered under `key` (decr is atomic: concurrent uses survive)."""
    pending = cache.get(key) or 0
    if pending:
        cache.decr(key, pending)
    return pending


def _flush_token(token_id: int, at: datetime, ip: str | None) -> bool:
    """Writes the buffered counts of the day of `at` and the day before, in one statement."""
    rows = []
    for day in (at.date() - timedelta(days=1), at.date()):
        pending = _take(_count_key(token_id, day))
        if pending:
            rows.append((token_id, day, pending, at, ip))
    upsert(rows)
    return bool(rows)


def record(token_id: int, ip: str | None) -> None:
    now = timezone.now()
    window = settings.AUTH_TOKEN_USAGE_BUFFER_SECONDS
    if window <= 0:
        upsert([(token_id, now.date(), 1, now, ip)])
        return
    key = _count_key(token_id, now.date())
    cache.add(key, 0, timeout=KEY_TTL)
    cache.incr(key)
    cache.set(_last_key(token_id), (now, ip), timeout=KEY_TTL)
    if cache.add(_gate_key(token_id), 1, timeout=window):  # the first request of a window flushes
        _flush_token(token_id, now, ip)


def flush(token_ids) -> int:
    """Writes whatever the cache buffers for these tokens; returns how many tokens had something."""
    flushed = 0
    for token_id in token_ids:
        last = cache.get(_last_key(token_id))
        if last is not None:
            at, ip = last
            flushed += _flush_token(token_id, at, ip)
    return flushed
