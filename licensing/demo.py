"""Demo data for licensing: two products, their policies, licenses in the demo workspaces, some assigned.

Keys are fixed so that re-running changes nothing and the printed keys keep working.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Workspace

from .keys import hash_key, public_id
from .models import Activation, License, LicenseSource, LicenseValidationDay, Policy, Product
from .services import licenses as services

PRODUCTS = {
    "emulator": "Cloud Emulator",
    "cli": "Deploy CLI",
}
POLICIES = [
    # (product code, name, options)
    (
        "emulator",
        "Pro",
        dict(
            duration=timedelta(days=365),
            max_activations=3,
            key_prefix="EMU",
            allow_ci=True,
            trial_available=True,
            heartbeat_interval=timedelta(hours=1),
            activation_instructions="Run `emulator auth login` and paste your developer auth token, "
            "or set KEYWARD_AUTH_TOKEN in the environment.\nIn CI, use a CI auth token instead.",
        ),
    ),
    (
        "emulator",
        "Enterprise",
        dict(duration=timedelta(days=365), key_prefix="EMX", encrypted=True, allow_ci=True),
    ),
    ("cli", "Standard", dict(max_activations=2, key_prefix="CLI")),
]
# (workspace slug or None, product code, policy name, key, assignee e-mail, extra)
LICENSES = [
    ("acme", "emulator", "Pro", "EMU-ACME1-DEM00-00000-00001", "member@acme.test", {}),
    ("acme", "emulator", "Pro", "EMU-ACME1-DEM00-00000-00002", "admin@acme.test", {}),
    ("acme", "emulator", "Pro", "EMU-ACME1-DEM00-00000-00003", None, {}),
    ("acme", "emulator", "Pro", "EMU-ACME1-DEM00-00000-00004", None, {"expired": True}),
    ("acme", "emulator", "Enterprise", "EMX-ACME1-DEM00-00000-00005", None, {}),
    ("acme", "cli", "Standard", "CLI-ACME1-DEM00-00000-00006", "owner@acme.test", {}),
    ("globex", "emulator", "Pro", "EMU-GL0BX-DEM00-00000-00001", "member@globex.test", {}),
    ("globex", "emulator", "Pro", "EMU-GL0BX-DEM00-00000-00002", None, {"suspended": True}),
    (
        None,
        "cli",
        "Standard",
        "CLI-KEY0N-LY000-00000-00001",
        None,
        {"metadata": {"customer": "Initech", "seats": 1}},
    ),
]
PRINTED_KEYS = {
    "EMU-ACME1-DEM00-00000-00001": "Acme, assigned to member@acme.test",
    "CLI-KEY0N-LY000-00000-00001": "user-less key with metadata",
}


def _catalogue() -> dict[tuple[str, str], Policy]:
    products = {
        code: Product.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in PRODUCTS.items()
    }
    policies = {}
    for code, name, options in POLICIES:
        policy, _ = Policy.objects.get_or_create(product=products[code], name=name, defaults=options)
        policies[(code, name)] = policy
    return policies


def _member(workspace: Workspace, email: str | None) -> Membership | None:
    if email is None:
        return None
    return Membership.objects.filter(workspace=workspace, user__email=email).select_related("user").first()


def _license(policy: Policy, workspace: Workspace | None, key: str, extra: dict) -> License:
    existing = License.objects.filter(key_hash=hash_key(key)).first()
    if existing is not None:
        return existing
    license, _ = services.license_create(
        policy=policy,
        workspace=workspace,
        key=key,
        name=extra.get("name", ""),
        metadata=extra.get("metadata"),
        source=LicenseSource.MANUAL,
    )
    if extra.get("expired"):
        License.objects.filter(pk=license.pk).update(expires_at=timezone.now() - timedelta(days=3))
    if extra.get("suspended"):
        services.license_suspend(license=license)
    return license


def _assign(license: License, member: Membership | None) -> None:
    if member is None or license.assignee_id is not None:
        return
    License.objects.filter(pk=license.pk).update(assignee=member, assigned_at=timezone.now())


def _usage(license: License, member: Membership | None) -> None:
    """A machine and two weeks of validations, so the detail page has something to show."""
    Activation.objects.get_or_create(
        license=license,
        fingerprint="demo-laptop-0001",
        defaults={
            "public_id": public_id("act"),
            "name": "demo-laptop",
            "platform": "linux",
            "membership": member,
            "last_heartbeat_at": timezone.now(),
        },
    )
    today = timezone.now().date()
    for days_ago in range(14):
        LicenseValidationDay.objects.get_or_create(
            license=license, day=today - timedelta(days=days_ago), defaults={"count": 3 + (days_ago * 7) % 11}
        )
    total = sum(LicenseValidationDay.objects.filter(license=license).values_list("count", flat=True))
    License.objects.filter(pk=license.pk).update(validation_count=total, last_validated_at=timezone.now())


@transaction.atomic
def seed() -> list[str]:
    """Idempotent: running it twice changes nothing. Returns lines to print."""
    policies = _catalogue()
    workspaces = {w.slug: w for w in Workspace.objects.filter(slug__in=["acme", "globex"])}
    for slug, product, policy_name, key, email, extra in LICENSES:
        workspace = workspaces.get(slug) if slug else None
        if slug and workspace is None:
            continue  # accounts demo data missing
        license = _license(policies[(product, policy_name)], workspace, key, extra)
        member = _member(workspace, email) if workspace else None
        _assign(license, member)
        if key == "EMU-ACME1-DEM00-00000-00001":
            _usage(license, member)
    lines = ['License keys to try with POST /api/v1/licenses/validate {"key": ...}:']
    lines += [f"  {key}  ({what})" for key, what in PRINTED_KEYS.items()]
    return lines
