"""Input and output serializers for the workspace and staff licensing APIs.

Input serializers check the shape and types of a request; the rules (duplicate
keys, metadata size, who may assign) live in licensing.services.
"""

from datetime import timedelta

from rest_framework import serializers

from ..models import LicenseSource, LicenseStatus, Policy, Product

# ---------------------------------------------------------------- strict input fields

DAYS_MAX = 36500  # a hundred years
ACTIVATIONS_MAX = 1_000_000  # fits every database's integer column


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of quietly turning them into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class JSONObjectField(serializers.JSONField):
    default_error_messages = {"not_object": "Must be a JSON object."}

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if not isinstance(data, dict):
            self.fail("not_object")
        return data


# ---------------------------------------------------------------- output


class ProductOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class PolicyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    max_activations = serializers.IntegerField(allow_null=True)
    allow_ci = serializers.BooleanField()
    ci_only = serializers.BooleanField()


class AssigneeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The membership id.")
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")


class ActivationOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    fingerprint = serializers.CharField()
    name = serializers.CharField()
    platform = serializers.CharField()
    member = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    last_heartbeat_at = serializers.DateTimeField(allow_null=True)

    def get_member(self, activation) -> str | None:
        return activation.membership.user.email if activation.membership_id else None


class LicenseOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    key = serializers.CharField(
        allow_null=True,
        help_text="The key, when its policy keeps it displayable; null for an encrypted policy.",
    )
    key_suffix = serializers.CharField(help_text="The key's last characters.")
    name = serializers.CharField()
    product = ProductOutputSerializer(source="policy.product")
    policy = PolicyRefSerializer()
    status = serializers.ChoiceField(
        choices=LicenseStatus.choices, source="effective_status", help_text="expired when past expires_at."
    )
    source = serializers.ChoiceField(choices=LicenseSource.choices)
    is_trial = serializers.BooleanField()
    metadata = serializers.JSONField()
    assignee = AssigneeSerializer(allow_null=True)
    assigned_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    validation_count = serializers.IntegerField()
    last_validated_at = serializers.DateTimeField(allow_null=True)


class LicenseDetailOutputSerializer(LicenseOutputSerializer):
    activations = ActivationOutputSerializer(many=True)
    activation_instructions = serializers.CharField(source="policy.activation_instructions")


class StaffLicenseOutputSerializer(LicenseOutputSerializer):
    workspace = serializers.CharField(
        source="workspace.slug", allow_null=True, help_text="Null: a user-less key."
    )
    created_by = serializers.EmailField(source="created_by.email", allow_null=True)


class StaffLicenseCreatedSerializer(StaffLicenseOutputSerializer):
    key = serializers.SerializerMethodField(help_text="The full key. Shown once: store it now.")

    def get_key(self, license) -> str:
        return license.plaintext_key


class StaffLicensesIssuedSerializer(serializers.Serializer):
    """What `licenses/issue/` answers: the licenses under one key, each with its key shown once."""

    licenses = StaffLicenseCreatedSerializer(many=True)


class LicenseSummarySerializer(serializers.Serializer):
    """A license without its key or metadata, for callers that only need to know whether it holds."""

    id = serializers.CharField(source="public_id")
    key_suffix = serializers.CharField()
    product = ProductOutputSerializer(source="policy.product")
    policy = serializers.CharField(source="policy.name")
    status = serializers.ChoiceField(choices=LicenseStatus.choices, source="effective_status")
    is_trial = serializers.BooleanField()
    expires_at = serializers.DateTimeField(allow_null=True)


class LicenseStatusSerializer(serializers.Serializer):
    workspace = serializers.CharField()
    member = serializers.EmailField(allow_null=True, help_text="Null for a CI token.")
    licensed = serializers.BooleanField(help_text="True when a usable license covers the caller.")
    code = serializers.CharField(help_text="VALID, LICENSE_NOT_ASSIGNED, LICENSE_EXPIRED, ...")
    message = serializers.CharField()
    license = LicenseSummarySerializer(allow_null=True)


class PolicyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = ProductOutputSerializer()
    name = serializers.CharField()
    duration_days = serializers.SerializerMethodField()
    max_activations = serializers.IntegerField(allow_null=True)
    trial_days = serializers.IntegerField()
    trial_available = serializers.BooleanField()
    offline_lifetime_hours = serializers.SerializerMethodField()
    heartbeat_interval_minutes = serializers.SerializerMethodField()
    encrypted = serializers.BooleanField()
    key_prefix = serializers.CharField()
    activation_instructions = serializers.CharField()
    allow_ci = serializers.BooleanField()
    ci_only = serializers.BooleanField()

    def get_duration_days(self, policy) -> float | None:
        return policy.duration / timedelta(days=1) if policy.duration is not None else None

    def get_offline_lifetime_hours(self, policy) -> float:
        return policy.offline_lifetime / timedelta(hours=1)

    def get_heartbeat_interval_minutes(self, policy) -> float | None:
        interval = policy.heartbeat_interval
        return interval / timedelta(minutes=1) if interval is not None else None


# ---------------------------------------------------------------- workspace input


class AssignInputSerializer(serializers.Serializer):
    member = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The membership id of the member who gets the seat."
    )


class RekeyInputSerializer(serializers.Serializer):
    keep_machines = serializers.BooleanField(
        required=False, default=False, help_text="Keep the activated machines (default: release them)."
    )


class RekeyOutputSerializer(serializers.Serializer):
    license = LicenseOutputSerializer()
    new_key = serializers.CharField(help_text="The new key, shown in this response only.")


# ---------------------------------------------------------------- staff input


class ProductCreateInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    code = StrictCharField(max_length=50)


class PolicyCreateInputSerializer(serializers.Serializer):
    product = serializers.SlugRelatedField(slug_field="code", queryset=Product.objects.all())
    name = StrictCharField(max_length=100)
    # Upper bounds: a timedelta past ~2.7 million years overflows, and so do 32-bit integer columns.
    duration_days = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=DAYS_MAX)
    max_activations = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=ACTIVATIONS_MAX
    )
    trial_days = serializers.IntegerField(required=False, min_value=1, max_value=DAYS_MAX, default=14)
    trial_available = serializers.BooleanField(required=False, default=False)
    offline_lifetime_hours = serializers.IntegerField(
        required=False, min_value=1, max_value=DAYS_MAX * 24, default=24
    )
    heartbeat_interval_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=DAYS_MAX * 24 * 60
    )
    encrypted = serializers.BooleanField(required=False, default=False)
    key_prefix = StrictCharField(required=False, allow_blank=True, max_length=12, default="")
    activation_instructions = StrictCharField(required=False, allow_blank=True, default="")
    allow_ci = serializers.BooleanField(required=False, default=False)
    ci_only = serializers.BooleanField(required=False, default=False)

    def to_service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        days = data.pop("duration_days", None)
        minutes = data.pop("heartbeat_interval_minutes", None)
        data["duration"] = timedelta(days=days) if days else None
        data["heartbeat_interval"] = timedelta(minutes=minutes) if minutes else None
        data["offline_lifetime"] = timedelta(hours=data.pop("offline_lifetime_hours"))
        return data


class LicenseCreateInputSerializer(serializers.Serializer):
    policy = serializers.PrimaryKeyRelatedField(queryset=Policy.objects.select_related("product"))
    workspace = StrictCharField(
        required=False, allow_null=True, help_text="The workspace slug; leave out for a user-less key."
    )
    key = StrictCharField(
        required=False, trim_whitespace=False, help_text="Leave out to generate one (PREFIX-XXXXX-XXXXX-...)."
    )
    name = StrictCharField(required=False, allow_blank=True, default="")
    metadata = JSONObjectField(required=False, default=dict)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    source = serializers.ChoiceField(
        choices=LicenseSource.choices, required=False, default=LicenseSource.MANUAL
    )


class LicenseIssueInputSerializer(serializers.Serializer):
    policy = serializers.PrimaryKeyRelatedField(queryset=Policy.objects.select_related("product"))
    workspace = StrictCharField(help_text="The workspace slug.")
    count = serializers.IntegerField(min_value=1, max_value=1000)
    source = serializers.ChoiceField(
        choices=LicenseSource.choices, required=False, default=LicenseSource.MANUAL
    )


class LicenseUpdateInputSerializer(serializers.Serializer):
    name = StrictCharField(required=False, allow_blank=True)
    metadata = JSONObjectField(required=False)


class LicenseExtendInputSerializer(serializers.Serializer):
    until = serializers.DateTimeField(required=False, help_text="The new expiry.")
    days = serializers.IntegerField(
        required=False, min_value=1, max_value=36500, help_text="Or: extend by N days."
    )

    def validate(self, attrs):
        if ("until" in attrs) == ("days" in attrs):
            raise serializers.ValidationError({"until": ["Give either `until` or `days`."]})
        return attrs


class StaffRekeyOutputSerializer(serializers.Serializer):
    license = StaffLicenseOutputSerializer()
    new_key = serializers.CharField(help_text="The new key, shown in this response only.")
