"""Staff API for vendor API keys: /api/v1/staff/api-keys/. Staff users create and revoke them;
a vendor key may list them (read) but never makes another key."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from project.api.inputs import validated_input

from .. import vendor_keys
from ..models import VendorApiKey, VendorApiKeyAccess
from .authentication import IsStaffOrVendorKey

TAGS = ["staff"]


class VendorKeyOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    access = serializers.ChoiceField(choices=VendorApiKeyAccess.choices)
    masked = serializers.CharField()
    status = serializers.CharField(help_text="active, expired or revoked.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    use_count = serializers.IntegerField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    last_used_ip = serializers.IPAddressField(allow_null=True)


class VendorKeyCreatedSerializer(VendorKeyOutputSerializer):
    key = serializers.CharField(help_text="The key itself: shown this once, never again.")


class VendorKeyCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    access = serializers.ChoiceField(choices=VendorApiKeyAccess.choices, default=VendorApiKeyAccess.READ)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class VendorKeyListView(GenericAPIView):
    permission_classes = [IsStaffOrVendorKey]
    allow_vendor_key = True
    filter_backends = ()

    @extend_schema(
        tags=TAGS, operation_id="staff_api_keys_list", responses={200: VendorKeyOutputSerializer(many=True)}
    )
    def get(self, request):
        page = self.paginate_queryset(VendorApiKey.objects.order_by("-created_at"))
        return self.get_paginated_response(VendorKeyOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="staff_api_keys_create",
        request=VendorKeyCreateInputSerializer,
        responses={201: VendorKeyCreatedSerializer},
    )
    def post(self, request):
        data = validated_input(VendorKeyCreateInputSerializer, request.data)
        issued = vendor_keys.vendor_api_key_create(
            created_by=request.user,
            name=data["name"],
            access=data["access"],
            expires_at=data.get("expires_at"),
        )
        issued.key.key = issued.plaintext
        return Response(VendorKeyCreatedSerializer(issued.key).data, status=status.HTTP_201_CREATED)


class VendorKeyRevokeView(APIView):
    permission_classes = [IsStaffOrVendorKey]
    allow_vendor_key = True

    @extend_schema(
        tags=TAGS,
        operation_id="staff_api_keys_revoke",
        request=None,
        responses={200: VendorKeyOutputSerializer},
    )
    def post(self, request, key_id):
        key = vendor_keys.vendor_api_key_get(public_id=key_id)
        key = vendor_keys.vendor_api_key_revoke(revoked_by=request.user, key=key)
        return Response(VendorKeyOutputSerializer(key).data)
