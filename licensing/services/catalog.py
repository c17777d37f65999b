"""Writes for the vendor's catalogue: products and their policies (staff only)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils.text import slugify

from project.errors import DomainError

from ..models import Policy, Product

KEY_PREFIX_MAX = 12


def product_clean(*, name: str, code: str, product: Product | None = None) -> dict:
    """The product's fields, checked (DomainError naming the field otherwise); `product` when editing."""
    name = (name or "").strip()
    if not name:
        raise DomainError("NAME_REQUIRED", "Give the product a name.", field="name")
    if len(name) > 100:
        raise DomainError("NAME_TOO_LONG", "Keep the product name to 100 characters.", field="name")
    clean_code = slugify(code or "")
    if not clean_code or clean_code != code or len(code) > 50:
        raise DomainError(
            "PRODUCT_CODE_INVALID",
            "The code is what your software sends as `product`: "
            "up to 50 lower-case letters, digits and dashes.",
            field="code",
        )
    if Product.objects.filter(code=code).exclude(pk=getattr(product, "pk", None)).exists():
        raise DomainError(
            "PRODUCT_CODE_TAKEN", f"A product with code “{code}” exists; choose another.", field="code"
        )
    return {"name": name, "code": code}


@transaction.atomic
def product_create(*, name: str, code: str) -> Product:
    return Product.objects.create(**product_clean(name=name, code=code))


@transaction.atomic
def product_update(*, product: Product, name: str, code: str) -> Product:
    for field, value in product_clean(name=name, code=code, product=product).items():
        setattr(product, field, value)
    product.save(update_fields=["name", "code"])
    return product


def _positive(value: timedelta | int | None, field: str, what: str):
    if value is not None and value <= (timedelta(0) if isinstance(value, timedelta) else 0):
        raise DomainError("POLICY_INVALID", f"The {what} must be more than zero, or empty.", field=field)


def policy_clean(
    *,
    product: Product,
    name: str,
    duration: timedelta | None = None,
    max_activations: int | None = None,
    trial_days: int = 14,
    offline_lifetime: timedelta = timedelta(hours=24),
    heartbeat_interval: timedelta | None = None,
    encrypted: bool = False,
    key_prefix: str = "",
    activation_instructions: str = "",
    allow_ci: bool = False,
    ci_only: bool = False,
    trial_available: bool = False,
) -> dict:
    """The policy's fields, checked (DomainError naming the field otherwise)."""
    name = (name or "").strip()
    if not name:
        raise DomainError("NAME_REQUIRED", "Give the policy a name, e.g. Pro.", field="name")
    if len(name) > 100:
        raise DomainError("NAME_TOO_LONG", "Keep the policy name to 100 characters.", field="name")
    _positive(duration, "duration_days", "duration")
    _positive(max_activations, "max_activations", "activation limit")
    _positive(trial_days, "trial_days", "trial length")
    _positive(offline_lifetime, "offline_lifetime_hours", "offline certificate lifetime")
    _positive(heartbeat_interval, "heartbeat_interval_minutes", "heartbeat interval")
    key_prefix = (key_prefix or "").strip().upper()
    if len(key_prefix) > KEY_PREFIX_MAX or not all(c.isalnum() and c.isascii() for c in key_prefix):
        raise DomainError(
            "KEY_PREFIX_INVALID",
            f"Use up to {KEY_PREFIX_MAX} letters and digits as the key prefix.",
            field="key_prefix",
        )
    return dict(
        product=product,
        name=name,
        duration=duration,
        max_activations=max_activations,
        trial_days=trial_days,
        offline_lifetime=offline_lifetime,
        heartbeat_interval=heartbeat_interval,
        encrypted=encrypted,
        key_prefix=key_prefix,
        activation_instructions=activation_instructions or "",
        allow_ci=allow_ci or ci_only,  # a CI-only policy is one CI tokens may use
        ci_only=ci_only,
        trial_available=trial_available,
    )


@transaction.atomic
def policy_create(**fields) -> Policy:
    """A new policy; the fields and their rules are policy_clean's."""
    return Policy.objects.create(**policy_clean(**fields))


@transaction.atomic
def policy_update(*, policy: Policy, **fields) -> Policy:
    """Changes a policy under the same rules as policy_create (every field is given)."""
    cleaned = policy_clean(**fields)
    for field, value in cleaned.items():
        setattr(policy, field, value)
    policy.save(update_fields=list(cleaned))
    return policy
