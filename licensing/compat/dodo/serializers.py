"""Dodo Payments' request fields in, Dodo Payments' response objects out.

Input serializers are strict about JSON types (a number is not a string, "1"
is not a number): the official SDK always sends the right types, so anything
else is a mistake worth a 400 that names the field.

How Keyward maps onto Dodo's objects (see also the README):

| Dodo                      | Keyward                                                        |
| ------------------------- | -------------------------------------------------------------- |
| license key `id`          | License.public_id (`lic_...`)                                  |
| license key instance `id` | Activation.public_id (`act_...`)                               |
| `business_id`, `brand_id` | settings.DODO_COMPAT_BUSINESS_ID (default "keyward")           |
| `product_id`              | Product.code                                                   |
| `customer_id`             | the workspace's slug; for a user-less key, metadata            |
|                           | `dodo_customer_id` (set when the key was created)              |
| `status`                  | active -> active, expired -> expired, suspended/revoked ->     |
|                           | disabled                                                       |
| `activations_limit`       | the license's own limit, else its policy's (null: unlimited)   |
| `instances_count`         | number of activations                                          |
| `source`                  | License.source (auto, manual, import: the same values)         |
| `payment_id`,             | metadata `dodo_payment_id` / `dodo_subscription_id`, else null |
| `subscription_id`         |                                                                |
| `key`                     | the plaintext key; for an "encrypted" policy, only at creation |
|                           | and masked (`…ABCD`) afterwards                                |
"""

from django.conf import settings
from rest_framework import serializers

from licensing.api.serializers import ACTIVATIONS_MAX
from licensing.keys import KEY_MAX_LENGTH
from licensing.models import Activation, License, LicenseSource, LicenseStatus

DODO_STATUS = {
    LicenseStatus.ACTIVE: "active",
    LicenseStatus.EXPIRED: "expired",
    LicenseStatus.SUSPENDED: "disabled",
    LicenseStatus.REVOKED: "disabled",
}
DODO_STATUSES = ("active", "expired", "disabled")
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
PAGE_NUMBER_MAX = 10_000_000  # page_number × page_size stays far inside a 64-bit OFFSET


def business_id() -> str:
    return getattr(settings, "DODO_COMPAT_BUSINESS_ID", "keyward")


# ---------------------------------------------------------------- strict JSON fields


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


def license_key_field(**kwargs):
    return StrictCharField(max_length=KEY_MAX_LENGTH, trim_whitespace=True, **kwargs)


# ---------------------------------------------------------------- public client calls


class ActivateInput(serializers.Serializer):
    license_key = license_key_field()
    name = StrictCharField(max_length=150)
    # Keyward extension: a stable machine id makes activation idempotent. Without it every call
    # creates a new instance, as on Dodo.
    fingerprint = StrictCharField(max_length=255, required=False)


class ValidateInput(serializers.Serializer):
    license_key = license_key_field()
    license_key_instance_id = StrictCharField(max_length=32, required=False, allow_null=True)


class DeactivateInput(serializers.Serializer):
    license_key = license_key_field()
    license_key_instance_id = StrictCharField(max_length=32)


# ---------------------------------------------------------------- staff calls


class LicenseKeyCreateInput(serializers.Serializer):
    customer_id = StrictCharField(max_length=150)
    key = license_key_field()
    product_id = StrictCharField(max_length=50)
    activations_limit = StrictIntegerField(
        min_value=1, max_value=ACTIVATIONS_MAX, required=False, allow_null=True
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class LicenseKeyUpdateInput(serializers.Serializer):
    activations_limit = StrictIntegerField(
        min_value=1, max_value=ACTIVATIONS_MAX, required=False, allow_null=True
    )
    disabled = StrictBooleanField(required=False, allow_null=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class PageInput(serializers.Serializer):
    page_number = serializers.IntegerField(min_value=0, max_value=PAGE_NUMBER_MAX, required=False, default=0)
    page_size = serializers.IntegerField(
        min_value=0, max_value=MAX_PAGE_SIZE, required=False, default=DEFAULT_PAGE_SIZE
    )


class LicenseKeyListInput(PageInput):
    created_at_gte = serializers.DateTimeField(required=False)
    created_at_lte = serializers.DateTimeField(required=False)
    customer_id = serializers.CharField(max_length=150, required=False)
    product_id = serializers.CharField(max_length=50, required=False)
    source = serializers.ChoiceField(choices=LicenseSource.values, required=False)
    status = serializers.ChoiceField(choices=DODO_STATUSES, required=False)


class InstanceListInput(PageInput):
    license_key_id = serializers.CharField(max_length=32, required=False)
    grant_id = serializers.CharField(max_length=64, required=False)


class InstanceUpdateInput(serializers.Serializer):
    name = StrictCharField(max_length=150)


# ---------------------------------------------------------------- output


def customer_id(license: License) -> str:
    if license.workspace_id:
        return license.workspace.slug
    return str((license.metadata or {}).get("dodo_customer_id", ""))


def render_license_key(license: License, *, instances_count: int, plaintext: str | None = None) -> dict:
    metadata = license.metadata or {}
    return {
        "id": license.public_id,
        "brand_id": business_id(),
        "business_id": business_id(),
        "created_at": license.created_at,
        "customer_id": customer_id(license),
        "instances_count": instances_count,
        "key": plaintext or license.key or license.masked_key,
        "product_id": license.policy.product.code,
        "source": license.source,
        "status": DODO_STATUS[license.effective_status],
        "activations_limit": license.max_activations,
        "expires_at": license.expires_at,
        "payment_id": license.payment_id or metadata.get("dodo_payment_id"),
        "subscription_id": license.subscription_id or metadata.get("dodo_subscription_id"),
    }


def render_instance(activation: Activation) -> dict:
    return {
        "id": activation.public_id,
        "business_id": business_id(),
        "created_at": activation.created_at,
        "license_key_id": activation.license.public_id,
        "name": activation.name,
    }


def render_customer(license: License) -> dict:
    """Dodo's "limited customer details": the paying customer (commerce) when there is one, else the
    workspace and, when the seat is assigned, its member."""
    billed = license.workspace_id and (license.payment_id or license.subscription_id)
    customer = license.workspace.billing_customers.first() if billed else None  # no query for other keys
    if customer is not None:
        return {
            "customer_id": customer_id(license),
            "email": customer.email,
            "name": customer.name or customer.email,
        }
    user = license.assignee.user if license.assignee_id else None
    return {
        "customer_id": customer_id(license),
        "email": user.email if user else "",
        "name": (user.get_full_name() if user else None)
        or (license.workspace.name if license.workspace_id else ""),
    }


def render_activation(activation: Activation) -> dict:
    license = activation.license
    product = license.policy.product
    return {
        **render_instance(activation),
        "customer": render_customer(license),
        "product": {"product_id": product.code, "name": product.name},
    }
