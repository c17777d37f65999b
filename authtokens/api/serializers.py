"""Input and output serializers for the auth tokens API. The only secret that leaves is a fresh plaintext."""

from rest_framework import serializers

from ..models import SecurityAction, TokenKind


class TokenOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id", help_text="Public id of the token (not its secret).")
    kind = serializers.ChoiceField(choices=TokenKind.choices)
    masked = serializers.CharField(help_text="Prefix and last 4 characters, e.g. kw_ci_…a1B2.")
    last4 = serializers.CharField()
    name = serializers.CharField()
    label = serializers.CharField()
    status = serializers.CharField(help_text="active, legacy, expired or revoked.")
    created_by = serializers.EmailField(source="created_by.email", default=None, allow_null=True)
    created_at = serializers.DateTimeField()
    rotated_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    is_legacy = serializers.BooleanField()
    sunset_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(default=None, allow_null=True)
    last_used_ip = serializers.IPAddressField(default=None, allow_null=True)
    use_count = serializers.IntegerField(
        default=0, allow_null=True, help_text="null, like the last use, for a viewer without view_usage."
    )
    parameter_stages = serializers.ListField(
        child=serializers.CharField(), help_text="CI tokens: the parameter stages it may read; empty: all."
    )

    USAGE_FIELDS = ("last_used_at", "last_used_ip", "use_count")

    def to_representation(self, token):
        data = super().to_representation(token)
        if self.context.get("hide_usage"):  # the view asks accounts.permissions.may_view_usage
            data.update(dict.fromkeys(self.USAGE_FIELDS))
        return data


class UsageDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    uses = serializers.IntegerField()


class TokenDetailOutputSerializer(TokenOutputSerializer):
    daily_usage = UsageDaySerializer(many=True, help_text="Uses per day for the last 30 days, oldest first.")


class IssuedTokenOutputSerializer(TokenOutputSerializer):
    token = serializers.CharField(help_text="The plaintext token. Shown in this response only: store it now.")


class CITokenCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    parameter_stages = serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        max_length=20,
        default=list,
        help_text='Limit the token to these parameter stages, e.g. ["prod"]. Empty: every stage.',
    )


class CITokenUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"name": ["Send a new name or label."]})
        return attrs


class SecurityEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=SecurityAction.choices)
    action_display = serializers.CharField(source="get_action_display")
    actor = serializers.CharField(source="actor_label")
    ip = serializers.IPAddressField(allow_null=True)
    token_kind = serializers.ChoiceField(
        choices=TokenKind.choices, allow_blank=True, help_text="Empty for events not about a token."
    )
    token_last4 = serializers.CharField()
    token_masked = serializers.CharField()
    token_name = serializers.CharField()
    detail = serializers.CharField()


class LeakReportItemOutputSerializer(serializers.Serializer):
    token_hash = serializers.CharField(help_text="SHA-256 hex of the reported token.")
    token_type = serializers.CharField()
    label = serializers.ChoiceField(choices=["true_positive", "false_positive"])
