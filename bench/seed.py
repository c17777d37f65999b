"""Seed the benchmark database with N licenses and write their plaintext keys to a file.

Run by bench/run.py with the benchmark's environment (DATABASE_URL, ...):

    python bench/seed.py --count 100000 --keys-file /tmp/keys.txt

Rows are written with bulk_create in batches, bypassing the license service on
purpose: issuing 100,000 licenses one transaction at a time would take longer
than the benchmark itself. The rows are what the service would write (public
id, key hash, suffix, plaintext for a non-encrypted policy, expiry from the
policy's duration).
"""

import argparse
import os
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Workspace  # noqa: E402
from licensing.keys import (  # noqa: E402
    BASE62,
    CROCKFORD_BASE32,
    KEY_GROUP_LENGTH,
    KEY_GROUPS,
    hash_key,
    key_suffix,
)
from licensing.models import License, LicenseSource, Policy, Product  # noqa: E402

BATCH_SIZE = 5000
WORKSPACES = 100
PRODUCT_CODE = "bench-app"


def seed_catalogue() -> tuple[Policy, list[Workspace]]:
    product = Product.objects.create(name="Bench App", code=PRODUCT_CODE)
    policy = Policy.objects.create(
        product=product, name="Pro", duration=timedelta(days=365), max_activations=5, key_prefix="BENCH"
    )
    workspaces = Workspace.objects.bulk_create(
        Workspace(name=f"Bench customer {n}", slug=f"bench-{n}") for n in range(WORKSPACES)
    )
    return policy, workspaces


def random_text(alphabet: str, length: int) -> str:
    """Like licensing.keys, but from one urandom call: secrets.choice per character costs a system call
    each, which is most of the seeding time for 100,000 keys."""
    return "".join(alphabet[byte % len(alphabet)] for byte in secrets.token_bytes(length))


def bench_key(prefix: str) -> str:
    """The same format as licensing.keys.generate_key (the modulo bias is irrelevant for a benchmark)."""
    chars = random_text(CROCKFORD_BASE32, KEY_GROUPS * KEY_GROUP_LENGTH)
    groups = [chars[i : i + KEY_GROUP_LENGTH] for i in range(0, len(chars), KEY_GROUP_LENGTH)]
    return "-".join([prefix, *groups])


def build_license(policy: Policy, workspace: Workspace | None, key: str, now) -> License:
    return License(
        public_id="lic_" + random_text(BASE62, 24),
        policy=policy,
        workspace=workspace,
        key_hash=hash_key(key),
        key=key,
        key_suffix=key_suffix(key),
        source=LicenseSource.IMPORT,
        created_at=now,
        expires_at=now + policy.duration,
    )


def seed_licenses(count: int, keys_file: Path) -> None:
    started = time.monotonic()
    with transaction.atomic():
        policy, workspaces = seed_catalogue()
    now = timezone.now()
    written = 0
    with keys_file.open("w") as out:
        while written < count:
            size = min(BATCH_SIZE, count - written)
            keys = [bench_key(policy.key_prefix) for _ in range(size)]
            # One license in ten is user-less (no workspace), as imported keys often are.
            rows = [
                build_license(
                    policy,
                    None if (written + i) % 10 == 0 else workspaces[(written + i) % WORKSPACES],
                    key,
                    now,
                )
                for i, key in enumerate(keys)
            ]
            License.objects.bulk_create(rows, batch_size=BATCH_SIZE)
            out.write("\n".join(keys) + "\n")
            written += size
    print(f"seeded {written} licenses in {time.monotonic() - started:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--keys-file", type=Path, required=True)
    args = parser.parse_args()
    seed_licenses(args.count, args.keys_file)


if __name__ == "__main__":
    main()
