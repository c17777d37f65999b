"""Workspace licensing API: /api/v1/workspaces/<slug>/licenses/..., trial and license status.

Members with manage_licenses see and manage every license of the workspace;
other members see only what they hold (their seats and the shared trial).
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from accounts import selectors as account_selectors
from accounts.api.base import WorkspaceAPIView
from accounts.models import Capability
from authtokens.models import AuthToken
from project.api.inputs import query_id, validated_input
from project.errors import DomainError

from ..models import LicenseStatus
from ..selectors import entitlement as entitlement_selectors
from ..selectors import licenses as selectors
from ..services import licenses as services
from .serializers import (
    AssignInputSerializer,
    LicenseDetailOutputSerializer,
    LicenseOutputSerializer,
    LicenseStatusSerializer,
    RekeyInputSerializer,
    RekeyOutputSerializer,
)

TAGS = ["licenses"]
LIST_PARAMETERS = [
    OpenApiParameter("status", str, enum=list(LicenseStatus.values), description="Effective status."),
    OpenApiParameter("product", str, description="Product code."),
    OpenApiParameter("assignee", str, description='A membership id, or "none" for unassigned seats.'),
    OpenApiParameter("search", str, description="The key's last characters, the name or the license id."),
]


class LicenseWorkspaceView(WorkspaceAPIView):
    @property
    def can_manage(self) -> bool:
        return self.membership.has_capability(Capability.MANAGE_LICENSES)

    def visible_license(self, public_id):
        return selectors.license_get(viewer=self.membership, public_id=public_id, with_activations=True)


class LicenseListView(LicenseWorkspaceView, GenericAPIView):
    filter_backends = ()

    @extend_schema(
        tags=TAGS,
        operation_id="workspace_licenses_list",
        summary="List the workspace's licenses (yours only without the manage licenses permission)",
        parameters=LIST_PARAMETERS,
        responses={200: LicenseOutputSerializer(many=True)},
    )
    def get(self, request, workspace_slug):
        params = request.query_params
        status_filter = params.get("status") or None
        if status_filter and status_filter not in LicenseStatus.values:
            raise DomainError(
                "STATUS_INVALID", f"Status must be one of {', '.join(LicenseStatus.values)}.", field="status"
            )
        queryset = selectors.license_list(
            workspace=self.workspace,
            status=status_filter,
            product=params.get("product") or None,
            assignee=query_id(params, "assignee", what="a membership id", also=("none",)),
            search=params.get("search") or None,
            holder=None if self.can_manage else self.membership,
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(LicenseOutputSerializer(page, many=True).data)


class LicenseDetailView(LicenseWorkspaceView):
    @extend_schema(
        tags=TAGS,
        operation_id="workspace_licenses_retrieve",
        summary="A license with its activations (machines)",
        responses={200: LicenseDetailOutputSerializer},
    )
    def get(self, request, workspace_slug, public_id):
        return Response(LicenseDetailOutputSerializer(self.visible_license(public_id)).data)


class LicenseAssignView(LicenseWorkspaceView):
    @extend_schema(
        tags=TAGS,
        operation_id="workspace_licenses_assign",
        summary="Assign the license to a member (manage licenses permission)",
        request=AssignInputSerializer,
        responses={200: LicenseOutputSerializer},
    )
    def post(self, request, workspace_slug, public_id):
        data = validated_input(AssignInputSerializer, request.data)
        license = selectors.license_get_for_change(actor=self.membership, public_id=public_id)
        try:
            member = account_selectors.membership_get_in_workspace(
                workspace=self.workspace, membership_id=data["member"]
            )
        except DomainError:
            raise DomainError(
                "MEMBER_NOT_FOUND", "No member of this workspace has this id.", field="member"
            ) from None
        license = services.license_assign(actor=self.membership, license=license, membership=member)
        return Response(
            LicenseOutputSerializer(
                selectors.license_get(viewer=self.membership, public_id=license.public_id)
            ).data
        )


class LicenseUnassignView(LicenseWorkspaceView):
    @extend_schema(
        tags=TAGS,
        operation_id="workspace_licenses_unassign",
        summary="Free the seat; machines its holder activated are released",
        request=None,
        responses={200: LicenseOutputSerializer},
    )
    def post(self, request, workspace_slug, public_id):
        license = selectors.license_get_for_change(actor=self.membership, public_id=public_id)
        services.license_unassign(actor=self.membership, license=license)
        return Response(
            LicenseOutputSerializer(selectors.license_get(viewer=self.membership, public_id=public_id)).data
        )


class LicenseRekeyView(LicenseWorkspaceView):
    @extend_schema(
        tags=TAGS,
        operation_id="workspace_licenses_rekey",
        summary="Replace the license's key (manage licenses); the new key is in this response only",
        request=RekeyInputSerializer,
        responses={200: RekeyOutputSerializer},
    )
    def post(self, request, workspace_slug, public_id):
        data = validated_input(RekeyInputSerializer, request.data)
        license = selectors.license_get_for_change(actor=self.membership, public_id=public_id)
        license, new_key = services.license_rekey(
            license=license, keep_machines=data["keep_machines"], actor=self.membership
        )
        license = selectors.license_get(viewer=self.membership, public_id=public_id)
        body = RekeyOutputSerializer({"license": license, "new_key": new_key}).data
        return Response(body, headers={"Cache-Control": "no-store"})


class ActivationDeleteView(LicenseWorkspaceView):
    @extend_schema(
        tags=TAGS,
        operation_id="workspace_licenses_activations_destroy",
        summary="Deactivate a machine (manage licenses permission)",
        responses={204: OpenApiResponse(description="The machine is released.")},
    )
    def delete(self, request, workspace_slug, public_id, activation_id):
        license = selectors.license_get_for_change(actor=self.membership, public_id=public_id)
        activation = selectors.activation_get(license=license, public_id=activation_id)
        services.activation_release(actor=self.membership, activation=activation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TrialStartView(WorkspaceAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="workspace_trial_start",
        summary="Start the workspace's one trial (only while it has no license); it covers every member",
        request=None,
        responses={201: LicenseOutputSerializer},
    )
    def post(self, request, workspace_slug):
        license = services.workspace_trial_start(actor=self.membership)
        license = selectors.license_get(viewer=self.membership, public_id=license.public_id)
        return Response(LicenseOutputSerializer(license).data, status=status.HTTP_201_CREATED)


class LicenseStatusView(WorkspaceAPIView):
    """Whether the caller is licensed: a member by their seat (or the trial), a CI token by a CI license."""

    allow_ci_token = True

    @extend_schema(
        tags=TAGS,
        operation_id="workspace_license_status",
        summary="Is the caller (member, or CI token) covered by a usable license?",
        parameters=[OpenApiParameter("product", str, description="Product code; any product if left out.")],
        responses={200: LicenseStatusSerializer},
    )
    def get(self, request, workspace_slug):
        product = request.query_params.get("product") or None
        membership = self.membership
        if membership is None:
            entitlement = entitlement_selectors.ci_entitlement(workspace=self.workspace, product=product)
        else:
            entitlement = entitlement_selectors.member_entitlement(
                membership=membership, product=product, via_token=isinstance(request.auth, AuthToken)
            )
        body = {
            "workspace": self.workspace.slug,
            "member": membership.user.email if membership is not None else None,
            "licensed": entitlement.usable,
            "code": entitlement.code,
            "message": entitlement.message,
            "license": entitlement.license,
        }
        return Response(LicenseStatusSerializer(body).data)
