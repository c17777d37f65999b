"""Writes that only the Dodo Payments compatibility layer needs.

Dodo sets the activation limit per license key, and names customers by its
own ids. Keyward keeps the limit on the policy and owns licenses by
workspace, so:

- a key's `activations_limit` is the license's own limit (License.activation_limit),
  which wins over its policy's; only "unlimited" (null) on a product whose first
  policy has a limit still selects (or clones) a policy without one;
- a `customer_id` that is a workspace's slug gives the license to that
  workspace; any other id makes a user-less key that keeps the id in its
  metadata (`dodo_customer_id`), so keys imported from Dodo keep their owner.

Everything else goes through the license services.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import Workspace
from project.errors import DomainError, ErrorKind

from ..keys import public_id
from ..models import License, LicenseSource, LicenseStatus, Policy, Product
from .catalog import policy_create
from .licenses import UNSET, license_create, license_update

CLONED_FIELDS = (
    "duration", "trial_days", "offline_lifetime", "heartbeat_interval", "encrypted", "key_prefix",
    "activation_instructions", "allow_ci",
)  # fmt: skip


def _product(code: str) -> Product:
    product = Product.objects.filter(code=code).first()
    if product is None:
        raise DomainError(
            "PRODUCT_NOT_FOUND",
            f"No product has the code “{code}”; use a product code from the admin.",
            kind=ErrorKind.NOT_FOUND,
            field="product_id",
        )
    return product


def _limit_name(limit: int | None) -> str:
    return "unlimited machines" if limit is None else f"{limit} machine{'s' if limit != 1 else ''}"


def _policy_with_limit(*, product: Product, limit: int | None, like: Policy | None) -> Policy:
    """A policy of `product` allowing `limit` machines, like `like` (or the product's first policy)."""
    base = like or product.policies.order_by("pk").first()
    candidates = product.policies.filter(max_activations=limit).order_by("pk")
    if base is not None:
        candidates = candidates.filter(encrypted=base.encrypted, duration=base.duration)
    if base is not None and base.max_activations == limit:
        return base
    existing = candidates.first()
    if existing is not None:
        return existing
    if base is None:
        return policy_create(product=product, name=f"Imported ({_limit_name(limit)})", max_activations=limit)
    return policy_create(
        product=product,
        name=f"{base.name[:70]} ({_limit_name(limit)})",
        max_activations=limit,
        **{field: getattr(base, field) for field in CLONED_FIELDS},
    )


def _default_policy(product: Product) -> Policy:
    policy = product.policies.order_by("pk").first()
    return policy or _policy_with_limit(product=product, limit=None, like=None)


@transaction.atomic
def dodo_license_key_create(
    *,
    customer_id: str,
    key: str,
    product_code: str,
    activations_limit=UNSET,
    expires_at=UNSET,
    created_by=None,
) -> tuple[License, str]:
    """Dodo's "create license key": an imported key. Omitted fields take the policy's defaults."""
    product = _product(product_code)
    policy = _default_policy(product)
    own_limit = None
    if activations_limit is None and policy.max_activations is not None:
        policy = _policy_with_limit(product=product, limit=None, like=policy)
    elif (
        activations_limit is not UNSET
        and activations_limit is not None
        and activations_limit != policy.max_activations
    ):
        own_limit = activations_limit
    workspace = Workspace.objects.filter(slug=customer_id).first()
    license, plaintext = license_create(
        policy=policy,
        workspace=workspace,
        key=key,
        metadata=None if workspace else {"dodo_customer_id": customer_id},
        source=LicenseSource.IMPORT,
        created_by=created_by,
        expires_at=None if expires_at is UNSET else expires_at,
        activation_limit=own_limit,
    )
    if expires_at is None and license.expires_at is not None:  # explicit null: never expires
        license = license_update(license=license, expires_at=None)
    return license, plaintext


def _move_to_limit(license: License, limit: int | None) -> License:
    policy = _policy_with_limit(product=license.policy.product, limit=limit, like=license.policy)
    if policy.pk != license.policy_id:
        license = (
            License.objects.select_for_update(of=("self",))
            .select_related("policy__product")
            .get(pk=license.pk)
        )
        license.policy = policy
        license.save(update_fields=["policy"])
    return license


def _set_limit(license: License, limit: int | None) -> License:
    """The license's own limit; never below the machines already active on it (Dodo refuses that too)."""
    license = (
        License.objects.select_for_update(of=("self",)).select_related("policy__product").get(pk=license.pk)
    )
    active = license.activations.count()
    if limit is not None and limit < active:
        raise DomainError(
            "ACTIVATION_LIMIT_LESS_THAN_CURRENT_AMOUNT",
            f"This key is active on {active} machines; deactivate some before lowering its limit to {limit}.",
            kind=ErrorKind.UNPROCESSABLE,
            field="activations_limit",
        )
    if limit is None:
        license = _move_to_limit(license, None)
        license.activation_limit = None
    else:
        license.activation_limit = None if limit == license.policy.max_activations else limit
    license.save(update_fields=["activation_limit"])
    return license


def _status_for(license: License, disabled) -> object:
    """Dodo's `disabled` flag as a Keyward status: disabling suspends; a revoked key stays revoked."""
    if disabled is None or disabled is UNSET:
        return UNSET
    if disabled:
        return (
            UNSET
            if license.status in (LicenseStatus.SUSPENDED, LicenseStatus.REVOKED)
            else LicenseStatus.SUSPENDED
        )
    return LicenseStatus.ACTIVE


@transaction.atomic
def dodo_license_key_update(
    *, license: License, activations_limit=UNSET, disabled=UNSET, expires_at=UNSET
) -> License:
    """Dodo's "update license key": activation limit, disabled flag, expiry; omitted fields stay."""
    if activations_limit is not UNSET and activations_limit != license.max_activations:
        license = _set_limit(license, activations_limit)
    return license_update(license=license, status=_status_for(license, disabled), expires_at=expires_at)


def dodo_fingerprint() -> str:
    """Dodo's activate names no machine and makes a new instance per call: each gets its own fingerprint."""
    return public_id("dodo")
