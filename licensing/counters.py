"""How often, and when last, each license was validated: the dashboard's figures and its chart.

With the shared client cache (project/client_cache.py), a validation is counted in Redis in the same
round trip that reads the key's snapshot (`validation_count`), under the key's hash, and
`validation_counts_flush` (a periodic job, every minute: see project/schedule.py) adds what is
pending to the database. The dashboard's counts lag by up to a minute; a flush that fails leaves its
counts in Redis for the next one; counts of a hash that names no license (a mistyped key) are
dropped there. Without the shared cache (the embedded default) the request writes them itself.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from project.client_cache import Count, client_cache

from .models import License, LicenseValidationDay

VALIDATIONS = "validations"  # one hash: "n:<key hash>:<day>" -> count, "t:<key hash>" -> Unix time
FLUSH_BATCH = 1000


def validation_count(counts_key: str, key_hash: str, now: datetime) -> Count:
    """The counting of one validation of the key with this hash, for a snapshot read to apply."""
    return Count(
        counts_key,
        f"n:{key_hash}:{timezone.localdate(now).isoformat()}",
        f"t:{key_hash}",
        repr(now.timestamp()),
    )


def validation_counted(license: License, now: datetime) -> None:
    """Count one validation of `license` at `now` in the database: the client API without a shared
    cache (with one, the snapshot read counts it: `validation_count`)."""
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
        counts, last = _parse(fields)
        hashes = sorted(set(last) | {key_hash for key_hash, _day in counts})
        for start in range(0, len(hashes), FLUSH_BATCH):
            batch = set(hashes[start : start + FLUSH_BATCH])
            with transaction.atomic():
                flushed += _apply(
                    {key: n for key, n in counts.items() if key[0] in batch},
                    {key_hash: at for key_hash, at in last.items() if key_hash in batch},
                )
    return flushed


def _parse(fields: dict[str, str]) -> tuple[dict[tuple[str, date], int], dict[str, datetime]]:
    counts, last = {}, {}
    for field, value in fields.items():
        kind, _, rest = field.partition(":")
        if kind == "n":
            key_hash, day = rest.split(":")
            counts[(key_hash, date.fromisoformat(day))] = int(value)
        elif kind == "t":
            last[rest] = datetime.fromtimestamp(float(value), tz=UTC)
    return counts, last


def _apply(counts: dict[tuple[str, date], int], last: dict[str, datetime]) -> int:
    """Add one batch of counts (by key hash) to the licenses that have those keys, under row locks."""
    per_key = defaultdict(int)
    for (key_hash, _day), count in counts.items():
        per_key[key_hash] += count
    licenses = list(
        License.objects.select_for_update()
        .filter(key_hash__in=sorted(set(per_key) | set(last)))
        .only("pk", "key_hash", "validation_count", "last_validated_at")
        .order_by("pk")
    )
    for license in licenses:
        license.validation_count += per_key.get(license.key_hash, 0)
        seen = last.get(license.key_hash)
        if seen is not None and (license.last_validated_at is None or seen > license.last_validated_at):
            license.last_validated_at = seen
    License.objects.bulk_update(licenses, ["validation_count", "last_validated_at"], batch_size=500)
    license_ids = {license.key_hash: license.pk for license in licenses}
    _days_add(
        {(license_ids[key_hash], day): n for (key_hash, day), n in counts.items() if key_hash in license_ids}
    )
    return sum(per_key[key_hash] for key_hash in license_ids)
