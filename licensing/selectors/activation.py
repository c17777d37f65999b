"""Reads for the public client API (the hot path).

The license key and the auth token are the credential here, so these reads are
scoped by the key's hash or by the token's workspace rather than by a URL's
workspace. Each lookup is one indexed query with `select_related`; the machine
(activation) a client names is joined into the same query with a
FilteredRelation, so validating with a fingerprint still costs one query.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from django.db import connections, router
from django.db.models import Count, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..keys import hash_key
from ..models import Activation, License, LicenseValidationDay, Policy, Product

ACTIVATION_FIELDS = (
    "id",
    "public_id",
    "fingerprint",
    "name",
    "platform",
    "membership_id",
    "created_at",
    "last_heartbeat_at",
)
LICENSE_RELATED = ("policy__product", "workspace", "assignee__user")


def _first(queryset: QuerySet):
    """The one row of a unique lookup, without the ORDER BY that `.first()` adds from Meta.ordering."""
    rows = list(queryset.order_by()[:1])
    return rows[0] if rows else None


def _with_machine(queryset: QuerySet[License], *, fingerprint=None, activation_id=None) -> QuerySet[License]:
    """Annotate the matching activation's columns (`machine_<field>`) onto each license row."""
    if fingerprint:
        condition = Q(activations__fingerprint=fingerprint)
    elif activation_id:
        condition = Q(activations__public_id=activation_id)
    else:
        return queryset
    queryset = queryset.annotate(machine=FilteredRelation("activations", condition=condition))
    return queryset.annotate(**{f"machine_{name}": F(f"machine__{name}") for name in ACTIVATION_FIELDS})


def _attached_machine(license: License) -> Activation | None:
    """The Activation built from the `machine_<field>` annotations, if one matched."""
    if getattr(license, "machine_id", None) is None:
        return None
    values = {name: getattr(license, f"machine_{name}") for name in ACTIVATION_FIELDS}
    activation = Activation(license=license, **values)
    activation._state.adding = False
    activation._state.db = license._state.db
    return activation


# ---------------------------------------------------------------- the validate lookup, precompiled
# `license_by_key` runs on every validation. Building the same query through the ORM each time costs
# several times the query itself, so its SQL is written once per database and variant from the models'
# metadata, and its rows go through each field's own database converters and `Model.from_db`, exactly
# as the ORM would load them (tests/licensing/test_client_license_keys.py compares the two).
#
# On PostgreSQL, `license_by_key(count_at=...)` also counts the validation in the same statement (the
# UPDATE and the per-day upsert are data-modifying CTEs), so validate costs one round trip. Those
# counters are statistics, so outside a caller's transaction that statement's commit does not wait
# for the disk flush (synchronous_commit off for that one transaction, via set_config(..., true)): a
# crash can lose the last fraction of a second of counts, never consistency.

_LOOKUP_MODELS = (("l", License), ("p", Policy), ("r", Product))
_MACHINE_MATCH = {"": None, "fingerprint": "fingerprint", "activation_id": "public_id"}


def _counting_source(quote, async_commit: bool) -> str:
    """CTEs that count a validation and yield the updated license row as `l`.
    Parameters: now, key hash, day."""
    license_table, day_table = quote(License._meta.db_table), quote(LicenseValidationDay._meta.db_table)
    sync_off = " AND set_config('synchronous_commit', 'off', true) IS NOT NULL" if async_commit else ""
    return (
        f"WITH l AS (UPDATE {license_table} SET validation_count = validation_count + 1, "
        f"last_validated_at = %s WHERE key_hash = %s{sync_off} RETURNING *), "
        f"counted_day AS (INSERT INTO {day_table} AS v (license_id, day, count) SELECT l.id, %s, 1 FROM l "
        "ON CONFLICT (license_id, day) DO UPDATE SET count = v.count + 1) "
    )


@lru_cache(maxsize=32)
def _lookup_plan(alias: str, vendor: str, match: str, counting: bool, async_commit: bool) -> tuple[str, list]:
    """(sql, [(model, attnames, [(converters, column), ...]), ...]) for one database and variant."""
    conn = connections[alias]
    quote = conn.ops.quote_name
    models = list(_LOOKUP_MODELS) + ([("a", Activation)] if match else [])
    select, plan = [], []
    for table_alias, model in models:
        fields = list(model._meta.concrete_fields)
        select += [f"{table_alias}.{quote(field.column)}" for field in fields]
        columns = [field.get_col(table_alias) for field in fields]
        converters = [
            conn.ops.get_db_converters(col) + field.get_db_converters(conn)
            for field, col in zip(fields, columns, strict=True)
        ]
        plan.append((model, [field.attname for field in fields], list(zip(converters, columns, strict=True))))
    source = "l" if counting else f"{quote(License._meta.db_table)} l"
    sql = (
        (_counting_source(quote, async_commit) if counting else "")
        + f"SELECT {', '.join(select)} FROM {source} "
        f"INNER JOIN {quote(Policy._meta.db_table)} p ON p.{quote('id')} = l.{quote('policy_id')} "
        f"INNER JOIN {quote(Product._meta.db_table)} r ON r.{quote('id')} = p.{quote('product_id')} "
    )
    if match:
        sql += (
            f"LEFT OUTER JOIN {quote(Activation._meta.db_table)} a "
            f"ON a.{quote('license_id')} = l.{quote('id')} AND a.{quote(_MACHINE_MATCH[match])} = %s "
        )
    if not counting:
        sql += f"WHERE l.{quote('key_hash')} = %s"
    return sql, plan


def _load(alias: str, conn, model, attnames, converters, values):
    converted = []
    for value, (field_converters, column) in zip(values, converters, strict=True):
        for converter in field_converters:
            value = converter(value, column, conn)
        converted.append(value)
    return model.from_db(alias, attnames, converted)


def license_by_key(
    *, key: str, fingerprint=None, activation_id=None, count_at: datetime | None = None
) -> tuple[License | None, Activation | None, bool]:
    """The license with this key (policy and product loaded) and, if a fingerprint or activation id is
    given, its matching machine: one indexed query. Returns (license, activation, counted).

    With `count_at` on PostgreSQL the same statement also counts a validation at that time
    (`counted` is then True); elsewhere the caller counts it.
    """
    match = "fingerprint" if fingerprint else "activation_id" if activation_id else ""
    alias = router.db_for_write(License) if count_at else router.db_for_read(License)
    conn = connections[alias]
    counting = count_at is not None and conn.vendor == "postgresql"
    async_commit = counting and not conn.in_atomic_block
    sql, plan = _lookup_plan(alias, conn.vendor, match, counting, async_commit)
    params = [count_at, hash_key(key), timezone.localdate(count_at)] if counting else []
    params += [fingerprint or activation_id] if match else []
    params += [] if counting else [hash_key(key)]
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None, None, False
    objects, start = [], 0
    for model, attnames, converters in plan:
        values = row[start : start + len(attnames)]
        start += len(attnames)
        objects.append(None if values[0] is None else _load(alias, conn, model, attnames, converters, values))
    license, policy, product = objects[:3]
    policy.product = product
    license.policy = policy
    activation = objects[3] if match else None
    if activation is not None:
        activation.license = license
    return license, activation, counting


def license_lock(*, license_id: int | None = None, key: str | None = None) -> License | None:
    """Lock one license row (SELECT ... FOR UPDATE) for the rest of the transaction.

    Only the license row is locked (`of=self`), so the joined policy and
    product stay free for everyone else.
    """
    lookup = {"pk": license_id} if license_id is not None else {"key_hash": hash_key(key or "")}
    return _first(
        License.objects.select_for_update(of=("self",)).select_related(*LICENSE_RELATED).filter(**lookup)
    )


def license_machine_state(*, license_id: int, fingerprint: str) -> tuple[int, Activation | None]:
    """How many machines the license has and the one with this fingerprint, in one query.

    Run it after `license_lock`: in PostgreSQL's READ COMMITTED a statement sees
    rows committed before it started, so counting in the locking statement
    itself could miss a machine added by the transaction we waited for.
    """
    machine_count = (
        Activation.objects.filter(license=OuterRef("pk")).order_by().values("license").annotate(n=Count("id"))
    )
    queryset = License.objects.filter(pk=license_id).annotate(
        machine_count=Coalesce(Subquery(machine_count.values("n")), Value(0))
    )
    row = _first(_with_machine(queryset, fingerprint=fingerprint).only("id"))
    if row is None:
        return 0, None
    return row.machine_count, _attached_machine(row)


def activation_by_public_id(*, activation_id: str) -> Activation | None:
    return _first(
        Activation.objects.select_related("license__policy__product", "license__workspace").filter(
            public_id=activation_id
        )
    )
