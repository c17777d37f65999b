"""Staff API under /api/v1/staff/: products, policies and licenses across all workspaces.

Reached with a staff session, a staff member's developer token or a vendor API key; anybody
else gets 403 (401 without credentials).
"""

from datetime import timedelta

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from authtokens.api.authentication import IsStaffOrVendorKey, acting_user
from project.api.inputs import query_id, validated_serializer
from project.errors import DomainError

from ..models import LicenseSource, LicenseStatus
from ..selectors import licenses as selectors
from ..services import catalog
from ..services import licenses as services
from .serializers import (
    LicenseCreateInputSerializer,
    LicenseExtendInputSerializer,
    LicenseIssueInputSerializer,
    LicenseUpdateInputSerializer,
    PolicyCreateInputSerializer,
    PolicyOutputSerializer,
    ProductCreateInputSerializer,
    ProductOutputSerializer,
    RekeyInputSerializer,
    StaffLicenseCreatedSerializer,
    StaffLicenseOutputSerializer,
    StaffLicensesIssuedSerializer,
    StaffRekeyOutputSerializer,
)

TAGS = ["staff"]


class IsStaff(BasePermission):
    message = "Only Keyward staff can use the staff API."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.is_active)


class StaffAPIView(APIView):
    permission_classes = [IsStaffOrVendorKey]
    allow_vendor_key = True  # a read-only key reads; a read-write key also writes


# ---------------------------------------------------------------- products and policies


class ProductListView(StaffAPIView, GenericAPIView):
    filter_backends = ()

    @extend_schema(
        tags=TAGS, operation_id="staff_products_list", responses={200: ProductOutputSerializer(many=True)}
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.product_list())
        return self.get_paginated_response(ProductOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="staff_products_create",
        request=ProductCreateInputSerializer,
        responses={201: ProductOutputSerializer},
    )
    def post(self, request):
        data = validated_serializer(ProductCreateInputSerializer, request.data).validated_data
        product = catalog.product_create(name=data["name"], code=data["code"])
        return Response(ProductOutputSerializer(product).data, status=status.HTTP_201_CREATED)


class PolicyListView(StaffAPIView, GenericAPIView):
    filter_backends = ()

    @extend_schema(
        tags=TAGS,
        operation_id="staff_policies_list",
        parameters=[OpenApiParameter("product", str, description="Product code.")],
        responses={200: PolicyOutputSerializer(many=True)},
    )
    def get(self, request):
        page = self.paginate_queryset(
            selectors.policy_list(product=request.query_params.get("product") or None)
        )
        return self.get_paginated_response(PolicyOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="staff_policies_create",
        request=PolicyCreateInputSerializer,
        responses={201: PolicyOutputSerializer},
    )
    def post(self, request):
        serializer = validated_serializer(PolicyCreateInputSerializer, request.data)
        policy = catalog.policy_create(**serializer.to_service_kwargs())
        return Response(PolicyOutputSerializer(policy).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- licenses


def _workspace(slug):
    return selectors.staff_workspace_get(slug=slug) if slug else None


def _created(pairs) -> list:
    for license, plaintext in pairs:
        license.plaintext_key = plaintext
    return StaffLicenseCreatedSerializer([license for license, _ in pairs], many=True).data


class LicenseListView(StaffAPIView, GenericAPIView):
    filter_backends = ()

    @extend_schema(
        tags=TAGS,
        operation_id="staff_licenses_list",
        parameters=[
            OpenApiParameter("workspace", str, description='Workspace slug, or "none" for user-less keys.'),
            OpenApiParameter("status", str, enum=list(LicenseStatus.values)),
            OpenApiParameter("product", str, description="Product code."),
            OpenApiParameter("policy", int),
            OpenApiParameter("source", str, enum=list(LicenseSource.values)),
            OpenApiParameter(
                "search", str, description="The key's last characters, the name or the license id."
            ),
        ],
        responses={200: StaffLicenseOutputSerializer(many=True)},
    )
    def get(self, request):
        params = request.query_params
        if params.get("status") and params["status"] not in LicenseStatus.values:
            raise DomainError(
                "STATUS_INVALID", f"Status must be one of {', '.join(LicenseStatus.values)}.", field="status"
            )
        policy = query_id(params, "policy", what="a policy id")
        queryset = selectors.staff_license_list(
            workspace=params.get("workspace") or None,
            status=params.get("status") or None,
            product=params.get("product") or None,
            policy=policy,
            source=params.get("source") or None,
            search=params.get("search") or None,
        ).select_related("created_by")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(StaffLicenseOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="staff_licenses_create",
        summary="Create one license; the response shows its key once",
        request=LicenseCreateInputSerializer,
        responses={201: StaffLicenseCreatedSerializer},
    )
    def post(self, request):
        data = validated_serializer(LicenseCreateInputSerializer, request.data).validated_data
        license, plaintext = services.license_create(
            policy=data["policy"],
            workspace=_workspace(data.get("workspace")),
            key=data.get("key"),
            name=data["name"],
            metadata=data["metadata"],
            source=data["source"],
            created_by=acting_user(request),
            expires_at=data.get("expires_at"),
        )
        return Response(_created([(license, plaintext)])[0], status=status.HTTP_201_CREATED)


class LicenseIssueView(StaffAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="staff_licenses_issue",
        summary="Issue N licenses with generated keys to a workspace; the response shows the keys once",
        request=LicenseIssueInputSerializer,
        responses={201: StaffLicensesIssuedSerializer},
    )
    def post(self, request):
        data = validated_serializer(LicenseIssueInputSerializer, request.data).validated_data
        pairs = services.license_issue(
            policy=data["policy"],
            workspace=_workspace(data["workspace"]),
            count=data["count"],
            created_by=acting_user(request),
            source=data["source"],
        )
        return Response({"licenses": _created(pairs)}, status=status.HTTP_201_CREATED)


class LicenseDetailView(StaffAPIView):
    @extend_schema(
        tags=TAGS, operation_id="staff_licenses_retrieve", responses={200: StaffLicenseOutputSerializer}
    )
    def get(self, request, public_id):
        return Response(StaffLicenseOutputSerializer(selectors.staff_license_get(public_id=public_id)).data)

    @extend_schema(
        tags=TAGS,
        operation_id="staff_licenses_update",
        summary="Change a license's name or metadata",
        request=LicenseUpdateInputSerializer,
        responses={200: StaffLicenseOutputSerializer},
    )
    def patch(self, request, public_id):
        license = selectors.staff_license_get(public_id=public_id)
        data = validated_serializer(LicenseUpdateInputSerializer, request.data).validated_data
        services.license_update(license=license, actor=acting_user(request), **data)
        return Response(StaffLicenseOutputSerializer(selectors.staff_license_get(public_id=public_id)).data)


class LicenseActionView(StaffAPIView):
    """POST .../suspend, .../reinstate, .../revoke."""

    action_name = ""
    actions = {
        "suspend": services.license_suspend,
        "reinstate": services.license_reinstate,
        "revoke": services.license_revoke,
    }

    @extend_schema(tags=TAGS, request=None, responses={200: StaffLicenseOutputSerializer})
    def post(self, request, public_id):
        license = selectors.staff_license_get(public_id=public_id)
        self.actions[self.action_name](license=license, actor=acting_user(request))
        return Response(StaffLicenseOutputSerializer(selectors.staff_license_get(public_id=public_id)).data)


class LicenseExtendView(StaffAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="staff_licenses_extend",
        summary="Move the expiry to `until`, or `days` later",
        request=LicenseExtendInputSerializer,
        responses={200: StaffLicenseOutputSerializer},
    )
    def post(self, request, public_id):
        license = selectors.staff_license_get(public_id=public_id)
        data = validated_serializer(LicenseExtendInputSerializer, request.data).validated_data
        by = timedelta(days=data["days"]) if "days" in data else None
        services.license_extend(license=license, until=data.get("until"), by=by, actor=acting_user(request))
        return Response(StaffLicenseOutputSerializer(selectors.staff_license_get(public_id=public_id)).data)


class LicenseRekeyView(StaffAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="staff_licenses_rekey",
        summary="Replace a license's key; the new key is in this response only",
        request=RekeyInputSerializer,
        responses={200: StaffRekeyOutputSerializer},
    )
    def post(self, request, public_id):
        license = selectors.staff_license_get(public_id=public_id)
        data = validated_serializer(RekeyInputSerializer, request.data).validated_data
        license, new_key = services.license_rekey(
            license=license, keep_machines=data["keep_machines"], staff=acting_user(request)
        )
        license = selectors.staff_license_get(public_id=public_id)
        body = StaffRekeyOutputSerializer({"license": license, "new_key": new_key}).data
        return Response(body, headers={"Cache-Control": "no-store"})
