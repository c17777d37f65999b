"""Seed a benchmark database and write what wrk's script sends into files.

Run by bench/run.py with the benchmark's environment (DATABASE_URL, ...):

    python bench/seed.py --licenses 1000000 --installations 10000 --members 1000 --out-dir /tmp/x

Licenses 0 .. members-1 are the members' seats, the next `installations` are
licenses with one machine each, and the rest are fresh. It writes, in --out-dir:

- fresh_keys.txt     one key a line: licenses no machine and no member uses (cache misses);
- installations.txt  "key fingerprint" a line: a license with that machine activated;
- tokens.txt         "token fingerprint" a line: a member's developer token, and a machine
                     activated on the seat assigned to that member.

Rows are written with bulk_create in batches, bypassing the services on purpose:
issuing a million licenses one transaction at a time would take longer than the
benchmark itself. The rows are what the services write (public ids, key and token
hashes, suffixes and last 4, expiry from the policy, assignee and assigned_at,
the machine's membership). What the services write beside them (security-log
entries, outbox events, usage rows) is left out: the client hot path reads none of it.
On PostgreSQL the tables are vacuumed and analysed at the end, so autovacuum does
not start in the middle of a measurement.
"""

import argparse
import os
import secrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Membership, Role, User, Workspace  # noqa: E402
from authtokens import tokens  # noqa: E402
from authtokens.models import AuthToken, TokenKind  # noqa: E402
from licensing.keys import (  # noqa: E402
    BASE62,
    CROCKFORD_BASE32,
    KEY_GROUP_LENGTH,
    KEY_GROUPS,
    hash_key,
    key_suffix,
)
from licensing.models import Activation, License, LicenseSource, Policy, Product  # noqa: E402

BATCH_SIZE = 5000
WORKSPACES = 100
PRODUCT_CODE = "bench-app"


@dataclass
class Member:
    membership: Membership
    token: str  # the plaintext, which only the seed and wrk ever see
    fingerprint: str


def random_text(alphabet: str, length: int) -> str:
    """Like licensing.keys, but from one urandom call: secrets.choice per character costs a system call
    each, which is most of the seeding time for a million keys."""
    return "".join(alphabet[byte % len(alphabet)] for byte in secrets.token_bytes(length))


def bench_key(prefix: str) -> str:
    """The same format as licensing.keys.generate_key (the modulo bias is irrelevant for a benchmark)."""
    chars = random_text(CROCKFORD_BASE32, KEY_GROUPS * KEY_GROUP_LENGTH)
    groups = [chars[i : i + KEY_GROUP_LENGTH] for i in range(0, len(chars), KEY_GROUP_LENGTH)]
    return "-".join([prefix, *groups])


def fingerprint() -> str:
    return secrets.token_hex(16)


# --- catalogue and people -----------------------------------------------------------------------------


def seed_catalogue() -> tuple[Policy, list[Workspace]]:
    product = Product.objects.create(name="Bench App", code=PRODUCT_CODE)
    policy = Policy.objects.create(
        product=product, name="Pro", duration=timedelta(days=365), max_activations=5, key_prefix="BENCH"
    )
    workspaces = Workspace.objects.bulk_create(
        Workspace(name=f"Bench customer {n}", slug=f"bench-{n}") for n in range(WORKSPACES)
    )
    return policy, workspaces


def developer_token(membership: Membership, plaintext: str) -> AuthToken:
    """The row authtokens.services writes for a member's token whose value was shown (revealed)."""
    return AuthToken(
        public_id=tokens.new_public_id(),
        kind=TokenKind.DEVELOPER,
        workspace_id=membership.workspace_id,
        membership=membership,
        created_by_id=membership.user_id,
        token_hash=tokens.hash_token(plaintext),
        last4=tokens.last4(plaintext),
        revealed=True,
    )


def seed_members(count: int, workspaces: list[Workspace]) -> list[Member]:
    """`count` active users, each a member of one workspace with a developer token."""
    users = User.objects.bulk_create(
        User(email=f"bench-{n}@example.com", password="!", email_verified=True) for n in range(count)
    )
    memberships = Membership.objects.bulk_create(
        Membership(user=user, workspace=workspaces[n % WORKSPACES], role=Role.MEMBER)
        for n, user in enumerate(users)
    )
    members = [Member(m, tokens.generate(TokenKind.DEVELOPER), fingerprint()) for m in memberships]
    AuthToken.objects.bulk_create(developer_token(m.membership, m.token) for m in members)
    return members


# --- licenses and machines ------------------------------------------------------------------------------


def build_license(policy: Policy, index: int, key: str, now, workspaces, members) -> License:
    """License `index`: a member's seat, or (one in ten user-less, as imported keys often are) a plain one."""
    member = members[index].membership if index < len(members) else None
    if member is not None:
        workspace_id = member.workspace_id
    else:
        workspace_id = None if index % 10 == 0 else workspaces[index % WORKSPACES].pk
    return License(
        public_id="lic_" + random_text(BASE62, 24),
        policy=policy,
        workspace_id=workspace_id,
        assignee=member,
        assigned_at=now if member else None,
        key_hash=hash_key(key),
        key=key,
        key_suffix=key_suffix(key),
        source=LicenseSource.IMPORT,
        created_at=now,
        expires_at=now + policy.duration,
    )


def write_batches(starts, count: int, keep: int, policy, workspaces, members, done: dict) -> None:
    """One writer: the batches of licenses beginning at `starts`, on this thread's own connection.
    Records, per batch, the licenses among the first `keep` (with their pk) and the batch's keys."""
    now = timezone.now()
    try:
        for start in starts:
            keys = [bench_key(policy.key_prefix) for _ in range(min(BATCH_SIZE, count - start))]
            rows = [
                build_license(policy, start + i, key, now, workspaces, members) for i, key in enumerate(keys)
            ]
            License.objects.bulk_create(rows, batch_size=BATCH_SIZE)
            done[start] = (rows[: max(0, keep - start)], keys)
    finally:
        connection.close()


def seed_licenses(count: int, keep: int, policy, workspaces, members) -> tuple[list[License], list[str]]:
    """Writes `count` licenses; returns the first `keep` (with their pk) and every key, in order.

    On PostgreSQL two writers (threads, each with its own connection) share the batches, so that one
    builds its rows in Python while the database stores the other's; SQLite takes one writer at a time."""
    writers = 2 if connection.vendor == "postgresql" else 1
    starts = range(0, count, BATCH_SIZE)
    done = {}
    with ThreadPoolExecutor(writers) as executor:
        jobs = [
            executor.submit(write_batches, starts[n::writers], count, keep, policy, workspaces, members, done)
            for n in range(writers)
        ]
        for job in jobs:
            job.result()  # raises a writer's error
    kept = [license for start in starts for license in done[start][0]]
    return kept, [key for start in starts for key in done[start][1]]


def machine(license: License, fingerprint: str, membership: Membership | None, now) -> Activation:
    """The row an activation writes: by a member's token (membership set) or by license key."""
    return Activation(
        public_id="act_" + random_text(BASE62, 24),
        license=license,
        fingerprint=fingerprint,
        name="bench machine",
        platform="linux",
        membership=membership,
        created_at=now,
        last_heartbeat_at=now,
    )


def seed_machines(seats: list[License], installed: list[License], members: list[Member]) -> list[str]:
    """One machine per seat (its member's) and per installation license; the installations' fingerprints."""
    now = timezone.now()
    prints = [fingerprint() for _ in installed]
    rows = [machine(seat, m.fingerprint, m.membership, now) for seat, m in zip(seats, members, strict=True)]
    rows += [machine(license, fp, None, now) for license, fp in zip(installed, prints, strict=True)]
    Activation.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return prints


# --- main ---------------------------------------------------------------------------------------------


def write_lines(path: Path, lines) -> None:
    with path.open("w") as out:
        out.writelines(f"{line}\n" for line in lines)


def vacuum_analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def seed(licenses: int, installations: int, members_count: int, out_dir: Path) -> None:
    if licenses < members_count + installations:
        raise SystemExit(
            f"--licenses must be at least --members + --installations ({members_count + installations})"
        )
    started = time.monotonic()
    with transaction.atomic():
        policy, workspaces = seed_catalogue()
        members = seed_members(members_count, workspaces)
    kept, keys = seed_licenses(licenses, members_count + installations, policy, workspaces, members)
    seats, installed = kept[:members_count], kept[members_count:]
    with transaction.atomic():
        prints = seed_machines(seats, installed, members)
    write_lines(out_dir / "tokens.txt", (f"{m.token} {m.fingerprint}" for m in members))
    pairs = zip(installed, prints, strict=True)
    write_lines(out_dir / "installations.txt", (f"{license.key} {fp}" for license, fp in pairs))
    write_lines(out_dir / "fresh_keys.txt", keys[members_count + installations :])
    seeded = time.monotonic()
    vacuum_analyze()
    print(
        f"seeded {licenses:,} licenses, {installations + members_count:,} machines and {members_count:,} "
        f"members in {seeded - started:.1f} s (+ {time.monotonic() - seeded:.1f} s VACUUM ANALYZE)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licenses", type=int, required=True)
    parser.add_argument("--installations", type=int, default=0)
    parser.add_argument("--members", type=int, default=0)
    parser.add_argument("--out-dir", type=Path, required=True)
    args = parser.parse_args()
    seed(args.licenses, args.installations, args.members, args.out_dir)


if __name__ == "__main__":
    main()
