"""Input and output serializers for commerce. Grants never carry a key: it went to the customer."""

from rest_framework import serializers

from ..models import GrantStatus, RevocationReason


class GrantOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    status = serializers.ChoiceField(choices=GrantStatus.choices)
    revocation_reason = serializers.CharField(allow_blank=True)
    product = serializers.CharField(source="policy.product.code")
    policy = serializers.IntegerField(source="policy_id")
    workspace = serializers.CharField(source="workspace.slug")
    customer_email = serializers.EmailField(source="purchase.customer.email", default=None)
    payment_id = serializers.CharField(allow_blank=True)
    subscription_id = serializers.CharField(allow_blank=True)
    quantity_index = serializers.IntegerField()
    license = serializers.CharField(source="license.public_id", default=None)
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField()


class GrantFulfilInputSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=128, trim_whitespace=True)
    activation_limit = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**31 - 1
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class GrantRevokeInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=RevocationReason.choices, default=RevocationReason.MANUAL)


class BillingEventOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="event_id")
    type = serializers.CharField(source="event_type")
    status = serializers.CharField()
    error_code = serializers.CharField(allow_blank=True)
    error_message = serializers.CharField(allow_blank=True)
    occurred_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()


class ImportResultSerializer(serializers.Serializer):
    imported = serializers.IntegerField()
    licenses = serializers.ListField(
        child=serializers.CharField(), help_text="The new licenses' ids, in row order."
    )


class ReturnUrlInputSerializer(serializers.Serializer):
    return_url = serializers.CharField(max_length=2000)
    payment_id = serializers.CharField(max_length=100, required=False, default="")
    subscription_id = serializers.CharField(max_length=100, required=False, default="")


class ReturnUrlOutputSerializer(serializers.Serializer):
    url = serializers.CharField()
