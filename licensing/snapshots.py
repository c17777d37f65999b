"""What the client API answers from: snapshots of the hot-path reads in the shared client cache
(project/client_cache.py), and the generations that make them stale.

- **A license key** (`key:<key hash>`): the license with its policy and product; once a request
  has named a machine, the license's machines too (up to MACHINES_KEPT; a license with more reads
  the named machine from the database); and for a certificate, its workspace, its assignee and each
  machine's member (`full`). Generations: the key's and the catalogue's.
- **An auth token** (`token:<token hash>`): the token with its member, user and workspace, and the
  licenses it runs under, best first (selectors.entitlement.token_licenses). Generations: the token's,
  the catalogue's and its workspace's. The workspace is only known from the snapshot, so the first
  time a process serves a token it reads the workspace's generation in a second round trip; then it
  keeps a hint (the workspace and the licenses' key hashes) and reads the token's snapshot, all three
  generations and the licenses' key snapshots in one.

Without a shared cache every function here reads the database directly.

**Invalidation follows the rows.** The receivers at the bottom bump the generations of whatever a
saved or deleted License, Activation, Policy, Product, AuthToken, Membership, Workspace or User
touches, once the transaction commits: every service, admin form and management command is covered,
and none can forget. A re-keyed license or a reset token also retires its old hash's snapshot. The
writes that send no signal (seat release, heartbeats) call `licenses_changed` / `machines_changed`
themselves. Counters are not in any snapshot, so counting does not invalidate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from accounts.models import Membership, Workspace
from authtokens import selectors as token_selectors
from authtokens import services as token_services
from authtokens import usage
from authtokens.models import AuthToken
from project import metrics
from project.client_cache import PendingWindows, bump_on_commit, client_cache, from_cache_or_database

from . import counters
from .keys import hash_key
from .models import Activation, License, Policy, Product
from .selectors import activation as selectors
from .selectors.entitlement import token_licenses

MACHINES_KEPT = 100
CATALOG = "gen:catalog"


def _key_generation(key_hash: str) -> str:
    return f"gen:key:{key_hash}"


def _token_generation(token_hash: str) -> str:
    return f"gen:token:{token_hash}"


def _workspace_generation(workspace_id) -> str:
    return f"gen:workspace:{workspace_id}"


# ---------------------------------------------------------------- license keys


@dataclass
class KeySnapshot:
    license: License
    machines: list[Activation] | None = None  # None: not read yet, or more than MACHINES_KEPT
    many_machines: bool = False
    full: bool = False

    def machine(self, *, fingerprint: str = "", activation_id: str = "") -> Activation | None:
        """The named machine, if it is activated on this license."""
        if not (fingerprint or activation_id):
            return None
        if self.machines is None:
            machine = selectors.license_machine(
                license=self.license, fingerprint=fingerprint, activation_id=activation_id
            )
        else:
            field, value = ("fingerprint", fingerprint) if fingerprint else ("public_id", activation_id)
            machine = next((m for m in self.machines if getattr(m, field) == value), None)
        if machine is not None:
            machine.license = self.license
        return machine

    def holds(self, *, machines: bool, full: bool) -> bool:
        """Whether it holds what a caller needs: the machines, and the license in full (its workspace
        and assignee, and each machine's member, which a certificate names)."""
        has_machines = self.machines is not None or self.many_machines
        return (has_machines or not machines) and (self.full or not full)

    def _read_machines(self) -> None:
        machines = selectors.license_machines(
            license=self.license, limit=MACHINES_KEPT, with_members=self.full
        )
        self.many_machines = len(machines) > MACHINES_KEPT
        self.machines = None if self.many_machines else machines


def key_snapshot(
    *,
    key: str,
    machines: bool = False,
    full: bool = False,
    count_at: datetime | None = None,
    rate_windows: PendingWindows | None = None,
) -> KeySnapshot | None:
    """The license behind a (clean) key, from the snapshot when it is current; None: no such key.
    `machines=True` when the caller will look up a machine, so a miss reads them too; `full=True` when
    it will sign a certificate. With `count_at`, a validation at that time is counted, in the read's
    own round trip, as are the request's `rate_windows` (RateLimited if one is over its limit)."""
    return from_cache_or_database(
        lambda cache: _key_snapshot_cached(cache, key, machines, full, count_at, rate_windows),
        lambda: _key_snapshot_from_database(key, count_at, rate_windows),
    )


def _key_snapshot_from_database(key, count_at, rate_windows) -> KeySnapshot | None:
    _count_windows_here(rate_windows)
    license = selectors.license_by_key(key=key)
    if license is not None and count_at is not None:
        counters.validation_counted(license, count_at)
    return KeySnapshot(license) if license is not None else None


def _key_snapshot_cached(cache, key, machines, full, count_at, rate_windows) -> KeySnapshot | None:
    key_hash = hash_key(key)
    count = None
    if count_at is not None:
        count = counters.validation_count(cache.key("count", counters.VALIDATIONS), key_hash, count_at)
    read = cache.snapshot_read(
        cache.key("key", key_hash),
        [cache.key(_key_generation(key_hash)), cache.key(CATALOG)],
        windows=rate_windows,
        count=count,
    )
    return _current_or_filled(cache, key_hash, read, machines=machines, full=full)


def _count_windows_here(rate_windows: PendingWindows | None) -> None:
    """Windows that were to ride along with a snapshot read that Redis did not answer."""
    if rate_windows is not None and not rate_windows.counted:
        rate_windows.raise_if_refused(rate_windows.count_locally())


def keys_with_machines(licenses: list[License]) -> dict[int, KeySnapshot]:
    """{license id: its key's snapshot, with its machines} for these licenses, in one round trip:
    what token activation and client info look machines up in."""
    return from_cache_or_database(
        lambda cache: _keys_with_machines_cached(cache, licenses),
        lambda: {license.pk: KeySnapshot(license) for license in licenses},  # machines read as asked
    )


def _keys_with_machines_cached(cache, licenses: list[License]) -> dict[int, KeySnapshot]:
    # A token's licenses may carry their key snapshots already, read with the token's (_token_read_hinted).
    snapshots = {lic.pk: lic._key_snapshot for lic in licenses if hasattr(lic, "_key_snapshot")}
    for _ in snapshots:
        _lookup_counted(hit=True)
    unread = [lic for lic in licenses if lic.pk not in snapshots]
    if not unread:
        return snapshots
    wanted = [
        (
            cache.key("key", license.key_hash),
            [cache.key(_key_generation(license.key_hash)), cache.key(CATALOG)],
        )
        for license in unread
    ]
    found = cache.snapshots_read(wanted)
    for license, read in zip(unread, found, strict=True):
        snapshot = _current_or_filled(cache, license.key_hash, read, machines=True)
        if snapshot is not None:
            snapshots[license.pk] = snapshot
    return snapshots


# Past this many candidate licenses (a CI token of a large workspace), one query beats reading and
# unpickling every license's snapshot.
MACHINE_LOOKUP_SNAPSHOTS = 10


def machines_named(licenses: list[License], fingerprint: str) -> dict[int, Activation]:
    """{license id: the machine with this fingerprint} among these licenses: from their key snapshots,
    or one query."""
    if client_cache() is None or len(licenses) > MACHINE_LOOKUP_SNAPSHOTS:
        return selectors.machines_by_license(licenses=licenses, fingerprint=fingerprint)
    named = {}
    for license_id, snapshot in keys_with_machines(licenses).items():
        machine = snapshot.machine(fingerprint=fingerprint)
        if machine is not None:
            named[license_id] = machine
    return named


def machines_of(license: License) -> list[Activation] | None:
    """A license's machines from its key snapshot; None when they are not kept there (no shared cache,
    or more than MACHINES_KEPT): ask the database."""
    if client_cache() is None:
        return None
    snapshot = keys_with_machines([license]).get(license.pk)
    return snapshot.machines if snapshot is not None else None


# Policies with their products, kept in this process while the catalogue's generation stays the one
# they were read under (any policy or product saved bumps it), and no longer than the snapshots' TTL:
# a validation that misses the snapshot then reads the license row alone.
_catalog = {"generation": None, "until": 0.0, "policies": {}}


def _catalog_policy(policy_id: int, *, catalog_generation, ttl: int) -> Policy:
    now = time.monotonic()
    if _catalog["generation"] != catalog_generation or now >= _catalog["until"]:
        _catalog.update(generation=catalog_generation, until=now + ttl, policies={})
    policies = _catalog["policies"]
    if policy_id not in policies:
        policies[policy_id] = selectors.policy_with_product(policy_id=policy_id)
    return policies[policy_id]


def _current_or_filled(
    cache, key_hash: str, read: tuple, *, machines: bool, full: bool = False
) -> KeySnapshot | None:
    """The snapshot just read if it is current and holds what the caller needs, else one filled from
    the database and stored under the generations read *before* it: a change that commits meanwhile
    bumps them, so what this request stores is never served after that change.

    A validation needs the license row, its policy and product (from the per-process catalogue) and,
    naming a machine, the machines; a caller that signs a certificate also needs the workspace, the
    assignee and each machine's member (`full`). Each join costs the ORM about 0.2 ms here."""
    snapshot, generations = read
    if snapshot is not None and snapshot.holds(machines=machines, full=full):
        _lookup_counted(hit=True)
        return snapshot
    _lookup_counted(hit=False)
    if full:
        license = selectors.license_by_key_hash(key_hash=key_hash, full=True)
    else:
        license = selectors.license_row_by_key_hash(key_hash=key_hash)
        if license is not None:
            license.policy = _catalog_policy(
                license.policy_id, catalog_generation=generations[-1], ttl=cache.ttl
            )
    if license is None:
        return None  # unknown keys are not cached: nothing would invalidate them when issued
    snapshot = KeySnapshot(license, full=full)
    if machines:
        snapshot._read_machines()
    cache.snapshot_write(cache.key("key", key_hash), generations, snapshot)
    return snapshot


# ---------------------------------------------------------------- auth tokens


@dataclass
class TokenSnapshot:
    token: AuthToken
    licenses: list[License]
    workspace_generation: bytes | None


def token_snapshot(
    *, raw_token: str, ip: str | None, rate_windows: PendingWindows | None = None
) -> TokenSnapshot:
    """The live token behind a presented value and the licenses it runs under (best first), from the
    snapshot when it is current; the use (from `ip`) is counted, and the first read counts the
    request's `rate_windows` (RateLimited if one is over its limit). Raises TOKEN_INVALID (and the other
    token refusals) by the rules of authtokens.selectors, which owns them: the live check runs on
    every read, since expiry is a clock."""
    return from_cache_or_database(
        lambda cache: _token_snapshot_cached(cache, raw_token, ip, rate_windows),
        lambda: _token_snapshot_from_database(raw_token, ip, rate_windows),
    )


def _token_snapshot_from_database(raw_token, ip, rate_windows) -> TokenSnapshot:
    _count_windows_here(rate_windows)
    token = token_selectors.token_resolve(raw_token=raw_token)
    token_services.token_record_use(token=token, ip=ip)
    return TokenSnapshot(token, token_licenses(token=token), None)


@dataclass(frozen=True)
class _TokenHint:
    """What a token's snapshot named when this process last served it: its workspace (which never
    changes) and the key hashes of its licenses. Only a guide to what to read in one round trip;
    the generations read with it decide what is current."""

    workspace_id: int
    key_hashes: tuple[str, ...]


TOKEN_HINTS_KEPT = 10_000
_token_hints: dict[str, _TokenHint] = {}


def _forget_process_state(**kwargs) -> None:
    _catalog.update(generation=None, until=0.0, policies={})
    _token_hints.clear()


setting_changed.connect(_forget_process_state)  # tests point the cache elsewhere: another Redis, other rows


def _remember_hint(digest: str, snapshot: TokenSnapshot) -> None:
    licenses = snapshot.licenses
    key_hashes = tuple(lic.key_hash for lic in licenses) if len(licenses) <= MACHINE_LOOKUP_SNAPSHOTS else ()
    hint = _TokenHint(snapshot.token.workspace_id, key_hashes)
    if _token_hints.get(digest) != hint:
        if len(_token_hints) >= TOKEN_HINTS_KEPT:
            _token_hints.clear()
        _token_hints[digest] = hint


def _token_snapshot_cached(cache, raw_token, ip, rate_windows) -> TokenSnapshot:
    kind, digest = token_selectors.token_digest(raw_token)  # format and checksum first: a typo reads nothing
    cache_key = cache.key("token", digest)
    hint = _token_hints.get(digest)
    if hint is not None:
        snapshot, generations = _token_read_hinted(cache, digest, hint, ip, rate_windows)
        counted = True
    else:
        snapshot, generations, counted = _token_read(cache, digest, ip, rate_windows)
    if snapshot is not None:
        _lookup_counted(hit=True)
        _remember_hint(digest, snapshot)
        return snapshot
    _lookup_counted(hit=False)
    token = token_selectors.token_by_digest(kind, digest)  # to learn its workspace
    token_selectors.token_check_live(token)  # a dead token is not cached: nothing it could answer
    if not counted:
        token_services.token_record_use(token=token, ip=ip)
    workspace_generation = cache.redis.get(cache.key(_workspace_generation(token.workspace_id)))
    # Read the token again now that its workspace's generation is read: its member, user and
    # workspace may have changed since the first read.
    token = token_selectors.token_by_digest(kind, digest)
    token_selectors.token_check_live(token)
    snapshot = TokenSnapshot(token, token_licenses(token=token), workspace_generation)
    cache.snapshot_write(cache_key, generations, snapshot)
    _remember_hint(digest, snapshot)
    return snapshot


def _token_read(cache, digest, ip, rate_windows) -> tuple[TokenSnapshot | None, tuple, bool]:
    """A token this process has not served yet: (its current snapshot or None, the generations it is
    stored under, whether its use was counted), in two round trips when it is cached, since its
    workspace is only known from the snapshot."""
    snapshot, generations = cache.snapshot_read(
        cache.key("token", digest),
        [cache.key(_token_generation(digest)), cache.key(CATALOG)],
        windows=rate_windows,
    )
    if snapshot is None:
        return None, generations, False
    token_selectors.token_check_live(snapshot.token)
    pipe = cache.redis.pipeline(transaction=False)
    pipe.get(cache.key(_workspace_generation(snapshot.token.workspace_id)))
    usage.usage_count_commands(pipe, cache.key("count", usage.USES), digest, ip, timezone.now())
    current = pipe.execute()[0] == snapshot.workspace_generation
    return (snapshot if current else None), generations, True


def _token_read_hinted(
    cache, digest, hint: _TokenHint, ip, rate_windows
) -> tuple[TokenSnapshot | None, tuple]:
    """A token this process has served: one round trip reads its snapshot, the generations it must
    match (the workspace's among them, known from the hint) and the key snapshots of the licenses
    it last ran under, and counts its use (before the token is known to be live: a refused use is
    still a use). (The snapshot or None, the token's generations.)"""
    names = [
        cache.key("token", digest),
        cache.key(_token_generation(digest)),
        cache.key(CATALOG),
        cache.key(_workspace_generation(hint.workspace_id)),
    ]
    for key_hash in hint.key_hashes:
        names += [cache.key("key", key_hash), cache.key(_key_generation(key_hash))]
    count = usage.usage_count(cache.key("count", usage.USES), digest, ip, timezone.now())
    values = cache.read(names, windows=rate_windows, count=count)
    snapshot, generations = cache.current(values[0], tuple(values[1:3]))
    if (
        snapshot is None
        or snapshot.token.workspace_id != hint.workspace_id
        or snapshot.workspace_generation != values[3]
    ):
        return None, generations
    token_selectors.token_check_live(snapshot.token)
    catalog_generation = values[2]
    key_reads = dict(zip(hint.key_hashes, zip(values[4::2], values[5::2], strict=True), strict=True))
    for license in snapshot.licenses:
        raw, key_generation = key_reads.get(license.key_hash, (None, None))
        key_snapshot, _ = cache.current(raw, (key_generation, catalog_generation))
        if key_snapshot is not None and key_snapshot.holds(machines=True, full=False):
            license._key_snapshot = key_snapshot  # for keys_with_machines, this request only
    return snapshot, generations


def _lookup_counted(*, hit: bool) -> None:
    metrics.client_cache_lookup(hit)  # the hit ratio on /metrics


# ---------------------------------------------------------------- invalidation


def _bump(*names: str) -> None:
    cache = client_cache()
    if cache is not None:
        bump_on_commit(cache.key(name) for name in names)


def licenses_changed(licenses) -> None:
    """Snapshots holding these licenses are stale once the transaction commits."""
    names = set()
    for license in licenses:
        names.add(_key_generation(license.key_hash))
        if license.workspace_id is not None:
            names.add(_workspace_generation(license.workspace_id))
    _bump(*names)


def machines_changed(license: License) -> None:
    """A machine of this license changed: only the key's snapshot holds machines."""
    _bump(_key_generation(license.key_hash))


def workspaces_changed(workspace_ids) -> None:
    _bump(*(_workspace_generation(workspace_id) for workspace_id in set(workspace_ids)))


def _license_saved(sender, instance: License, **kwargs):
    licenses_changed([instance])


def _secret_replaced(model, field: str, generation):
    """A pre_save receiver: when a row's secret hash changes (a re-keyed license, a reset token), the
    old value must stop answering at once, so its snapshot's generation is bumped too."""

    def receiver(sender, instance, update_fields=None, **kwargs):
        if client_cache() is None or instance.pk is None:
            return
        if update_fields is not None and field not in update_fields:
            return
        old = model.objects.filter(pk=instance.pk).values_list(field, flat=True).first()
        if old and old != getattr(instance, field):
            _bump(generation(old))

    receiver.__name__ = f"_{model.__name__.lower()}_{field}_replaced"
    return receiver


def _machine_saved(sender, instance: Activation, **kwargs):
    if client_cache() is None:
        return
    if Activation.license.is_cached(instance):
        license = instance.license
    else:  # a bulk delete loads machines without their license
        license = License.objects.only("key_hash").filter(pk=instance.license_id).first()
    if license is not None:
        machines_changed(license)


def _catalog_saved(sender, instance, **kwargs):
    _bump(CATALOG)


def _token_saved(sender, instance: AuthToken, **kwargs):
    _bump(_token_generation(instance.token_hash))


def _membership_saved(sender, instance: Membership, **kwargs):
    workspaces_changed([instance.workspace_id])


def _workspace_saved(sender, instance: Workspace, **kwargs):
    workspaces_changed([instance.pk])


def _user_saved(sender, instance, update_fields=None, **kwargs):
    if client_cache() is None or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return  # logging in changes nothing a snapshot holds
    workspaces_changed(Membership.objects.filter(user_id=instance.pk).values_list("workspace_id", flat=True))


def connect_receivers() -> None:
    """Called from LicensingConfig.ready()."""
    for model, receiver in (
        (License, _license_saved),
        (Activation, _machine_saved),
        (Policy, _catalog_saved),
        (Product, _catalog_saved),
        (AuthToken, _token_saved),
        (Membership, _membership_saved),
        (Workspace, _workspace_saved),
        (get_user_model(), _user_saved),
    ):
        for signal in (post_save, post_delete):
            signal.connect(receiver, sender=model, dispatch_uid=f"licensing.snapshots.{receiver.__name__}")
    for model, field, generation in (
        (License, "key_hash", _key_generation),
        (AuthToken, "token_hash", _token_generation),
    ):
        receiver = _secret_replaced(model, field, generation)
        pre_save.connect(
            receiver, sender=model, weak=False, dispatch_uid=f"licensing.snapshots.{receiver.__name__}"
        )
