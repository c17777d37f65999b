"""How often, and when last, each license was validated: the dashboard's figures and its chart.

With the shared client cache (project/client_cache.py), a validation is counted in Redis, in the
request's one write round trip, and `validation_counts_flush` (a periodic job, every minute: see
project/schedule.py) adds what is pending to the database: the dashboard's counts lag by up to a
minute, and a flush that fails leaves its counts in Redis for the next one. Without the shared cache
(the embedded default) the request writes them itself.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from project.client_cache import client_cache

from .models import License, LicenseValidationDay

VALIDATIONS = "validations"  # one hash: "n:<license id>:<day>" -> count, "t:<license id>" -> Unix time


def validation_counted(license: License, now: datetime) -> None:
    """Count one validation of `license` at `now`."""
    cache = client_cache()
    if cache is None:
        _write_now(license, now)
        return
    counts = cache.key("count", VALIDATIONS)
    with cache.pipeline() as pipe:
        pipe.hincrby(counts, f"n:{license.pk}:{timezone.localdate(now).isoformat()}", 1)
        pipe.hset(counts, f"t:{license.pk}", repr(now.timestamp()))


def _write_now(license: License, now: datetime) -> None:
    License.objects.filter(pk=license.pk).update(
        validation_count=F("validation_count") + 1, last_validated_at=now
    )
    _days_add({(license.pk, timezone.localdate(now)): 1})


def _days_add(counts: dict[tuple[int, date], int]) -> None:
    """Add to the per-day rows, creating the missing ones, in one upsert statement."""
    if not counts:
        return
    table = connection.ops.quote_name(LicenseValidationDay._meta.db_table)
    day_field = LicenseValidationDay._meta.get_field("day")
    params = []
    for (license_id, day), count in counts.items():
        params += [license_id, day_field.get_db_prep_value(day, connection), count]
    values = ", ".join(["(%s, %s, %s)"] * len(counts))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (license_id, day, count) VALUES {values} "
            f"ON CONFLICT (license_id, day) DO UPDATE SET count = {table}.count + excluded.count",
            params,
        )


def validation_counts_flush() -> int:
    """Add the validations counted in the shared cache to the database. Returns how many."""
    cache = client_cache()
    if cache is None:
        return 0
    flushed = 0
    for fields in cache.counts_take(VALIDATIONS):
        with transaction.atomic():
            flushed += _apply(fields)
    return flushed


def _parse(fields: dict[str, str]) -> tuple[dict[tuple[int, date], int], dict[int, datetime]]:
    counts, last = {}, {}
    for field, value in fields.items():
        kind, _, rest = field.partition(":")
        if kind == "n":
            license_id, day = rest.split(":")
            counts[(int(license_id), date.fromisoformat(day))] = int(value)
        elif kind == "t":
            last[int(rest)] = datetime.fromtimestamp(float(value), tz=UTC)
    return counts, last


def _apply(fields: dict[str, str]) -> int:
    counts, last = _parse(fields)
    per_license = defaultdict(int)
    for (license_id, _day), count in counts.items():
        per_license[license_id] += count
    licenses = list(
        License.objects.select_for_update()
        .filter(pk__in=sorted(set(per_license) | set(last)))
        .only("pk", "validation_count", "last_validated_at")
        .order_by("pk")
    )
    for license in licenses:  # a license deleted since is simply not counted
        license.validation_count += per_license.get(license.pk, 0)
        seen = last.get(license.pk)
        if seen is not None and (license.last_validated_at is None or seen > license.last_validated_at):
            license.last_validated_at = seen
    License.objects.bulk_update(licenses, ["validation_count", "last_validated_at"], batch_size=500)
    kept = {license.pk for license in licenses}
    _days_add({(license_id, day): n for (license_id, day), n in counts.items() if license_id in kept})
    return sum(per_license[license_id] for license_id in kept)
