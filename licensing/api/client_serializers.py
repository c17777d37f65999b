"""Input and output shapes of the public client API (license keys, auth-token activation, heartbeats).

Inputs are strict: a number where a string belongs is a 400 naming the field,
not silently turned into text.
"""

import re
from functools import partial

from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.utils import timezone
from rest_framework import serializers
from rest_framework.fields import ProhibitSurrogateCharactersValidator, empty
from rest_framework.utils.serializer_helpers import BindingDict

from ..keys import KEY_MAX_LENGTH
from ..services.activation import (
    FINGERPRINT_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PLATFORM_MAX_LENGTH,
    PRODUCT_MAX_LENGTH,
)

ACTIVATION_ID_MAX_LENGTH = 32


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


def _key_field():
    return StrictCharField(max_length=KEY_MAX_LENGTH, help_text="The license key.")


def _fingerprint_field(**kwargs):
    return StrictCharField(
        max_length=FINGERPRINT_MAX_LENGTH, help_text="A stable identifier of the machine.", **kwargs
    )


def _activation_id_field(**kwargs):
    return StrictCharField(
        max_length=ACTIVATION_ID_MAX_LENGTH, help_text="An activation id (act_...).", **kwargs
    )


def _product_field(**kwargs):
    return StrictCharField(max_length=PRODUCT_MAX_LENGTH, help_text="The product code.", **kwargs)


# ---------------------------------------------------------------- inputs


class InputSerializer(serializers.Serializer):
    """An input serializer for the hot path: its fields are built once per class and shared by its
    instances (DRF deep-copies every declared field for each instance, about 0.15 ms a request; these
    keep no per-request state), and `fast_validated` answers a well-formed JSON object without an
    instance at all."""

    @property
    def fields(self):
        shared = type(self).__dict__.get("_shared_fields")
        if shared is None:
            shared = BindingDict(self)
            for name, field in self.get_fields().items():
                shared[name] = field
            type(self)._shared_fields = shared
        return shared

    @classmethod
    def fast_validated(cls, data) -> dict | None:
        """What `validated_data` would be, for a JSON object every field accepts as it stands; None
        when anything is missing, of another type, blank, too long or otherwise doubtful, and the
        serializer must decide (and word the 400). The rules are read from the fields themselves, so
        there is one home for each: tests/licensing/test_client_input.py checks, over generated
        inputs, that a fast answer is always the serializer's own. Measured with callgrind on a
        validation's body: the serializer 234,000 instructions, this 11,000 (a warm validation is
        about 3 M in all)."""
        if "_fast_checks" not in cls.__dict__:
            cls._fast_checks = _fast_checks(cls())
        return _fast_validated(cls._fast_checks, data)


_DOUBTFUL = object()
_SURROGATE = re.compile("[\ud800-\udfff]")


def _fast_text(field, value):
    if type(value) is not str:
        return _DOUBTFUL
    text = value.strip() if field.trim_whitespace else value
    if not text:
        return "" if field.allow_blank else _DOUBTFUL
    if len(text) > field.max_length or "\x00" in text or (not text.isascii() and _SURROGATE.search(text)):
        return _DOUBTFUL
    return text


def _fast_boolean(field, value):
    return value if type(value) is bool else _DOUBTFUL


def _fast_checks(serializer) -> list | None:
    """(name, required, default, check) for each field; None when a field or a validation hook is
    beyond what the fast path knows (then the serializer always decides)."""
    if type(serializer).validate is not serializers.Serializer.validate:
        return None
    checks = []
    for name, field in serializer.fields.items():
        if hasattr(serializer, f"validate_{name}") or field.source != name:
            return None
        if type(field) is StrictCharField and _only_builtin_text_validators(field):
            check = partial(_fast_text, field)
        elif type(field) is StrictBooleanField and not field.validators:
            check = partial(_fast_boolean, field)
        elif isinstance(field, InputSerializer) and not field.allow_null:
            nested = _fast_checks(field)
            if nested is None:
                return None
            check = partial(_fast_validated, nested, doubtful=_DOUBTFUL)
        else:
            return None
        default = field.default if field.default is not empty else _DOUBTFUL
        checks.append((name, field.required, default, check))
    return checks


def _only_builtin_text_validators(field) -> bool:
    allowed = (MaxLengthValidator, ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator)
    return (
        field.max_length is not None
        and field.min_length is None
        and all(type(validator) in allowed for validator in field.validators)
    )


def _fast_validated(checks: list | None, data, doubtful=None):
    if checks is None or type(data) is not dict:
        return doubtful
    validated = {}
    for name, required, default, check in checks:
        if name not in data:
            if required:
                return doubtful
            if default is not _DOUBTFUL:
                validated[name] = default() if callable(default) else default
            continue
        value = check(data[name])
        if value is _DOUBTFUL:
            return doubtful
        validated[name] = value
    return validated


class ClientLicenseValidateInput(InputSerializer):
    key = _key_field()
    fingerprint = _fingerprint_field(required=False, allow_blank=True)
    activation_id = _activation_id_field(required=False, allow_blank=True)
    product = _product_field(required=False, allow_blank=True)


class ClientLicenseActivateInput(InputSerializer):
    key = _key_field()
    fingerprint = _fingerprint_field()
    name = StrictCharField(max_length=NAME_MAX_LENGTH, required=False, allow_blank=True, default="")
    platform = StrictCharField(max_length=PLATFORM_MAX_LENGTH, required=False, allow_blank=True, default="")
    product = _product_field(required=False, allow_blank=True)


class ClientLicenseDeactivateInput(InputSerializer):
    key = _key_field()
    activation_id = _activation_id_field()


class ClientHeartbeatInput(InputSerializer):
    activation_id = _activation_id_field()


class ClientMachineInput(InputSerializer):
    fingerprint = _fingerprint_field()
    name = StrictCharField(max_length=NAME_MAX_LENGTH, required=False, allow_blank=True, default="")
    platform = StrictCharField(max_length=PLATFORM_MAX_LENGTH, required=False, allow_blank=True, default="")


class ClientTokenActivateInput(InputSerializer):
    product = _product_field()
    machine = ClientMachineInput()
    ci = StrictBooleanField(required=False, default=False)


class ClientInfoQuery(InputSerializer):
    product = _product_field(required=False, allow_blank=True)
    fingerprint = _fingerprint_field(required=False, allow_blank=True)


# ---------------------------------------------------------------- outputs


class ClientLicenseOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    status = serializers.CharField(source="effective_status")
    product = serializers.CharField(source="policy.product.code")
    product_name = serializers.CharField(source="policy.product.name")
    plan = serializers.CharField(source="policy.name")
    name = serializers.CharField()
    key_suffix = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    max_activations = serializers.IntegerField(
        allow_null=True,
        help_text="Machines this license may run on (its own limit, else its plan's); null: no limit.",
    )
    heartbeat_interval_seconds = serializers.SerializerMethodField()
    metadata = serializers.JSONField()

    def get_heartbeat_interval_seconds(self, license) -> int | None:
        interval = license.policy.heartbeat_interval
        return int(interval.total_seconds()) if interval is not None else None


class ClientActivationOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    fingerprint = serializers.CharField()
    name = serializers.CharField()
    platform = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_heartbeat_at = serializers.DateTimeField(allow_null=True)


class ClientValidationOutput(serializers.Serializer):
    valid = serializers.BooleanField()
    code = serializers.CharField()
    message = serializers.CharField()
    license = ClientLicenseOutput(allow_null=True)
    activation = ClientActivationOutput(allow_null=True)


class ClientLicenseActivateOutput(serializers.Serializer):
    activated = serializers.BooleanField()
    activation = ClientActivationOutput()
    license = ClientLicenseOutput()
    certificate = serializers.CharField(
        help_text="Offline certificate: cert/<base64url payload>.<signature>."
    )
    certificate_expires_at = serializers.IntegerField(
        help_text="Unix time after which the certificate is void."
    )


class ClientLicenseDeactivateOutput(serializers.Serializer):
    deactivated = serializers.BooleanField()
    activation_id = serializers.CharField()


class ClientHeartbeatOutput(serializers.Serializer):
    activation = ClientActivationOutput()
    license_status = serializers.CharField()
    next_heartbeat_due_at = serializers.DateTimeField(allow_null=True)


class ClientPublicKeyEntry(serializers.Serializer):
    kid = serializers.CharField(help_text="The key's RFC 7638 JWK thumbprint: certificates carry it.")
    public_key_pem = serializers.CharField()
    public_key = serializers.CharField(help_text="The raw 32-byte Ed25519 public key, base64url.")
    current = serializers.BooleanField(help_text="Signs new certificates; the others verify older ones.")


class ClientPublicKeyOutput(serializers.Serializer):
    algorithm = serializers.CharField()
    certificate_format = serializers.CharField()
    kid = serializers.CharField(help_text="The current key's id.")
    public_key_pem = serializers.CharField(help_text="The current key.")
    public_key = serializers.CharField(
        help_text="The current raw 32-byte Ed25519 public key, base64url without padding."
    )
    keys = ClientPublicKeyEntry(
        many=True, help_text="The current key, then previous keys whose certificates may still be valid."
    )


class ClientWorkspaceOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class ClientMemberOutput(serializers.Serializer):
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.get_full_name")


class ClientTokenOutput(serializers.Serializer):
    kind = serializers.CharField()
    last4 = serializers.CharField()


class ClientEditionOutput(serializers.Serializer):
    product = serializers.CharField(source="policy.product.code")
    product_name = serializers.CharField(source="policy.product.name")
    plan = serializers.CharField(source="policy.name")


class ClientTokenActivateOutput(serializers.Serializer):
    activated = serializers.BooleanField()
    license = ClientLicenseOutput()
    activation = ClientActivationOutput()
    workspace = ClientWorkspaceOutput(allow_null=True)
    member = ClientMemberOutput(allow_null=True, help_text="Null for a CI token.")
    token = ClientTokenOutput()
    expires_at = serializers.DateTimeField(
        help_text="When the certificate expires: activate again before then."
    )
    certificate = serializers.CharField()


class ClientInfoOutput(serializers.Serializer):
    edition = ClientEditionOutput(allow_null=True)
    is_license_activated = serializers.BooleanField()
    license_status = serializers.CharField(allow_null=True)
    license_expires_at = serializers.DateTimeField(allow_null=True)
    license = ClientLicenseOutput(allow_null=True)
    workspace = ClientWorkspaceOutput()
    member = ClientMemberOutput(allow_null=True)
    token = ClientTokenOutput()


# ---------------------------------------------------------------- fast output for the hot path
# validate and activate run on every start of the vendor's software; building their bodies with the
# serializers above costs as much as the rest of the request. These functions produce the very same
# JSON (tests/licensing/test_client_license_keys.py compares them) and the serializers stay the schema.


def _datetime(value):
    """What serializers.DateTimeField writes (ISO 8601 in the current time zone, Z for UTC), at a
    quarter of its cost: the client API never activates a time zone, so the default one is current,
    and DRF's format settings are read once per call there (three datetimes a validation)."""
    if value is None:
        return None
    text = value.astimezone(timezone.get_default_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def license_data(license) -> dict:
    policy = license.policy
    interval = policy.heartbeat_interval
    return {
        "id": license.public_id,
        "status": license.effective_status,
        "product": policy.product.code,
        "product_name": policy.product.name,
        "plan": policy.name,
        "name": license.name,
        "key_suffix": license.key_suffix,
        "expires_at": _datetime(license.expires_at),
        "max_activations": license.max_activations,
        "heartbeat_interval_seconds": int(interval.total_seconds()) if interval is not None else None,
        "metadata": license.metadata,
    }


def activation_data(activation) -> dict:
    return {
        "id": activation.public_id,
        "fingerprint": activation.fingerprint,
        "name": activation.name,
        "platform": activation.platform,
        "created_at": _datetime(activation.created_at),
        "last_heartbeat_at": _datetime(activation.last_heartbeat_at),
    }


def validation_data(result) -> dict:
    return {
        "valid": result.valid,
        "code": result.code,
        "message": result.message,
        "license": license_data(result.license) if result.license is not None else None,
        "activation": activation_data(result.activation) if result.activation is not None else None,
    }


def _workspace_data(workspace) -> dict | None:
    return {"slug": workspace.slug, "name": workspace.name} if workspace is not None else None


def _member_data(membership) -> dict | None:
    if membership is None:
        return None
    return {"email": membership.user.email, "name": membership.user.get_full_name()}


def _token_data(token) -> dict:
    return {"kind": token.kind, "last4": token.last4}


def token_activation_data(result, token) -> dict:
    """The body of ClientTokenActivateOutput."""
    return {
        "activated": True,
        "license": license_data(result.license),
        "activation": activation_data(result.activation),
        "workspace": _workspace_data(result.license.workspace),
        "member": _member_data(token.membership),
        "token": _token_data(token),
        "expires_at": _datetime(result.certificate_expires_at),
        "certificate": result.certificate,
    }


def client_info_data(license, is_activated: bool, token) -> dict:
    """The body of ClientInfoOutput."""
    policy = license.policy if license is not None else None
    return {
        "edition": {"product": policy.product.code, "product_name": policy.product.name, "plan": policy.name}
        if policy is not None
        else None,
        "is_license_activated": is_activated,
        "license_status": license.effective_status if license is not None else None,
        "license_expires_at": _datetime(license.expires_at) if license is not None else None,
        "license": license_data(license) if license is not None else None,
        "workspace": _workspace_data(token.workspace),
        "member": _member_data(token.membership),
        "token": _token_data(token),
    }
