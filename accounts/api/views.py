"""REST API for workspaces, members and invitations (/api/v1/).

Each view parses input with an input serializer, calls one service or
selector, and renders with an output serializer. Permissions and invariants
are enforced in accounts.services; a DomainError becomes the JSON error
`{"code", "message", "fields"}` in project.api.errors.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions, selectors, services
from accounts.models import Invitation, Membership
from authtokens.api.authentication import refuse_auth_token, request_token
from project.api.inputs import validated_input

from .base import WorkspaceAPIView
from .filters import InvitationFilter, MemberFilter
from .serializers import (
    InvitationCreateInputSerializer,
    InvitationOutputSerializer,
    MemberOutputSerializer,
    MemberUpdateInputSerializer,
    MeOutputSerializer,
    MyInvitationOutputSerializer,
    MyWorkspaceOutputSerializer,
    WorkspaceCreateInputSerializer,
    WorkspaceDeleteInputSerializer,
    WorkspaceUpdateInputSerializer,
)

# ---------------------------------------------------------------- schema helpers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(help_text="Stable machine code, e.g. LAST_OWNER."),
        "message": serializers.CharField(help_text="One sentence saying what went wrong and how to fix it."),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Messages per input field (dotted for nested fields, e.g. permissions.view_usage).",
        ),
    },
)

ERROR_DESCRIPTIONS = {
    400: "Invalid input; `fields` names the offending fields.",
    401: "Missing or invalid credentials.",
    403: "You lack the role or permission for this action (or are not logged in, with session auth).",
    404: "No such workspace (or you are not a member of it), or no such object in it.",
    409: "The current state does not allow this (e.g. the last owner, an invitation already used).",
}


def errors(*codes: int) -> dict:
    """Error responses for the schema; every endpoint needs a caller, so 401 is always possible."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in sorted({401, *codes})
    }


def no_content(description: str) -> dict:
    return {204: OpenApiResponse(description=description)}


def _token_workspace(request):
    """A developer token speaks for its member in one workspace: reads across workspaces stay in that one."""
    token = request_token(request)
    return token.workspace if token is not None else None


class ListMixin:
    # Page-number pagination with the project's default paginator (GenericAPIView.pagination_class).

    def paginated_response(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


def require_capability(membership: Membership, capability: str, action: str) -> None:
    refusal = permissions.capability_refusal(membership, capability, action)
    if refusal is not None:
        raise refusal


# ---------------------------------------------------------------- workspaces


class WorkspaceListView(ListMixin, GenericAPIView):
    """Your workspaces. Any logged-in user can create one and becomes its owner."""

    filter_backends = ()

    @extend_schema(
        tags=["workspaces"],
        operation_id="workspaces_list",
        summary="List the workspaces you belong to, with your role in each",
        responses={200: MyWorkspaceOutputSerializer(many=True), **errors(403)},
    )
    def get(self, request):
        return self.paginated_response(
            selectors.membership_list_for_user(user=request.user, only_workspace=_token_workspace(request)),
            MyWorkspaceOutputSerializer,
        )

    @extend_schema(
        tags=["workspaces"],
        operation_id="workspaces_create",
        summary="Create a workspace; you become its owner",
        request=WorkspaceCreateInputSerializer,
        responses={201: MyWorkspaceOutputSerializer, **errors(400, 403)},
    )
    def post(self, request):
        refuse_auth_token(request, "create a workspace")
        data = validated_input(WorkspaceCreateInputSerializer, request.data)
        workspace = services.workspace_create(
            owner=request.user, name=data["name"], slug=data.get("slug", "")
        )
        membership = selectors.membership_get(user=request.user, workspace_slug=workspace.slug)
        return Response(MyWorkspaceOutputSerializer(membership).data, status=status.HTTP_201_CREATED)


class WorkspaceDetailView(WorkspaceAPIView):
    """One workspace you belong to. Not a member: 404, as if it did not exist."""

    @extend_schema(
        tags=["workspaces"],
        operation_id="workspaces_retrieve",
        summary="A workspace and your role in it",
        responses={200: MyWorkspaceOutputSerializer, **errors(403, 404)},
    )
    def get(self, request, workspace_slug):
        return Response(MyWorkspaceOutputSerializer(self.membership).data)

    @extend_schema(
        tags=["workspaces"],
        operation_id="workspaces_update",
        summary="Rename a workspace (owners and admins)",
        description="The slug never changes, so links and API URLs keep working.",
        request=WorkspaceUpdateInputSerializer,
        responses={200: MyWorkspaceOutputSerializer, **errors(400, 403, 404)},
    )
    def patch(self, request, workspace_slug):
        data = validated_input(WorkspaceUpdateInputSerializer, request.data)
        self.membership.workspace = services.workspace_rename(actor=self.membership, name=data["name"])
        return Response(MyWorkspaceOutputSerializer(self.membership).data)

    @extend_schema(
        tags=["workspaces"],
        operation_id="workspaces_destroy",
        summary="Delete a workspace and everything in it (owners only)",
        description=(
            'Confirm by sending the workspace name exactly, as a JSON body `{"confirm_name": "Acme"}` '
            "or, for clients that cannot send a body with DELETE, as the `confirm_name` query parameter."
        ),
        parameters=[
            OpenApiParameter(
                "confirm_name",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=False,
                description="The workspace name, when not sent in the body.",
            )
        ],
        responses={**no_content("Deleted."), **errors(400, 403, 404)},
    )
    def delete(self, request, workspace_slug):
        payload = request.data if "confirm_name" in request.data else request.query_params
        data = validated_input(WorkspaceDeleteInputSerializer, payload)
        services.workspace_delete(actor=self.membership, confirm_name=data["confirm_name"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkspaceLeaveView(WorkspaceAPIView):
    """Leave a workspace you belong to."""

    @extend_schema(
        tags=["members"],
        operation_id="workspaces_leave",
        summary="Leave a workspace",
        description="The last owner cannot leave; make someone else an owner first (409 LAST_OWNER).",
        request=None,
        responses={**no_content("You left the workspace."), **errors(403, 404, 409)},
    )
    def post(self, request, workspace_slug):
        services.membership_remove(actor=self.membership, membership=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- members


class MemberListView(ListMixin, WorkspaceAPIView, GenericAPIView):
    """The members of a workspace, with their roles and permissions. Any member can read it."""

    filterset_class = MemberFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: there is no caller
            return Membership.objects.none()
        return selectors.membership_list(workspace=self.workspace)

    @extend_schema(
        tags=["members"],
        operation_id="members_list",
        summary="List the members of a workspace",
        responses={200: MemberOutputSerializer(many=True), **errors(400, 403, 404)},
    )
    def get(self, request, workspace_slug):
        return self.paginated_response(self.filter_queryset(self.get_queryset()), MemberOutputSerializer)


class MemberDetailView(WorkspaceAPIView):
    """One member of a workspace. Any member can read it; changes need manage_members."""

    def get_member(self) -> Membership:
        return selectors.membership_get_in_workspace(
            workspace=self.workspace, membership_id=self.kwargs["membership_id"]
        )

    @extend_schema(
        tags=["members"],
        operation_id="members_retrieve",
        summary="One member of a workspace",
        responses={200: MemberOutputSerializer, **errors(403, 404)},
    )
    def get(self, request, workspace_slug, membership_id):
        return Response(MemberOutputSerializer(self.get_member()).data)

    @extend_schema(
        tags=["members"],
        operation_id="members_update",
        summary="Change a member's role and/or advanced permissions",
        description=(
            "Needs the manage_members permission. Only owners make, demote or change owners; nobody grants "
            "a permission they do not hold; the last owner cannot be demoted. When both `role` and "
            "`permissions` are sent, either both changes happen or neither does."
        ),
        request=MemberUpdateInputSerializer,
        responses={200: MemberOutputSerializer, **errors(400, 403, 404, 409)},
    )
    def patch(self, request, workspace_slug, membership_id):
        data = validated_input(MemberUpdateInputSerializer, request.data)
        member = services.membership_update(
            actor=self.membership,
            membership=self.get_member(),
            role=data.get("role"),
            capabilities=data.get("permissions"),
        )
        return Response(MemberOutputSerializer(member).data)

    @extend_schema(
        tags=["members"],
        operation_id="members_destroy",
        summary="Remove a member (or leave, when the member is you)",
        description="Removing someone else needs manage_members; the last owner cannot be removed or leave.",
        responses={**no_content("Removed."), **errors(403, 404, 409)},
    )
    def delete(self, request, workspace_slug, membership_id):
        services.membership_remove(actor=self.membership, membership=self.get_member())
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- invitations (workspace side)


class InvitationListView(ListMixin, WorkspaceAPIView, GenericAPIView):
    """A workspace's invitations. Reading and inviting both need manage_members."""

    filterset_class = InvitationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: there is no caller
            return Invitation.objects.none()
        return selectors.invitation_list(viewer=self.membership, status="")

    @extend_schema(
        tags=["invitations"],
        operation_id="invitations_list",
        summary="List a workspace's invitations (needs manage_members)",
        description="All statuses, newest first; filter with `status=pending` for the open ones.",
        responses={200: InvitationOutputSerializer(many=True), **errors(400, 403, 404)},
    )
    def get(self, request, workspace_slug):
        return self.paginated_response(self.filter_queryset(self.get_queryset()), InvitationOutputSerializer)

    @extend_schema(
        tags=["invitations"],
        operation_id="invitations_create",
        summary="Invite someone by e-mail (needs manage_members)",
        description="The invitation is e-mailed and expires after 7 days. Only owners invite owners.",
        request=InvitationCreateInputSerializer,
        responses={201: InvitationOutputSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, workspace_slug):
        data = validated_input(InvitationCreateInputSerializer, request.data)
        invitation = services.membership_invite(actor=self.membership, email=data["email"], role=data["role"])
        return Response(InvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationActionView(WorkspaceAPIView):
    """Acts on one of the workspace's invitations; needs manage_members."""

    def get_invitation(self) -> Invitation:
        return selectors.invitation_get_in_workspace(
            workspace=self.workspace, invitation_id=self.kwargs["invitation_id"]
        )


class InvitationResendView(InvitationActionView):
    @extend_schema(
        tags=["invitations"],
        operation_id="invitations_resend",
        summary="Send a pending invitation again and restart its 7 days (needs manage_members)",
        request=None,
        responses={200: InvitationOutputSerializer, **errors(403, 404, 409)},
    )
    def post(self, request, workspace_slug, invitation_id):
        invitation = services.invitation_resend(actor=self.membership, invitation=self.get_invitation())
        return Response(InvitationOutputSerializer(invitation).data)


class InvitationRevokeView(InvitationActionView):
    @extend_schema(
        tags=["invitations"],
        operation_id="invitations_revoke",
        summary="Revoke a pending invitation (needs manage_members)",
        request=None,
        responses={200: InvitationOutputSerializer, **errors(403, 404, 409)},
    )
    def post(self, request, workspace_slug, invitation_id):
        invitation = services.invitation_revoke(actor=self.membership, invitation=self.get_invitation())
        return Response(InvitationOutputSerializer(invitation).data)


# ---------------------------------------------------------------- invitations (invitee side)


class MyInvitationListView(ListMixin, GenericAPIView):
    """Invitations addressed to your e-mail address, from any workspace."""

    filter_backends = ()

    @extend_schema(
        tags=["invitations"],
        operation_id="my_invitations_list",
        summary="Open invitations addressed to your e-mail address",
        responses={200: MyInvitationOutputSerializer(many=True), **errors(403)},
    )
    def get(self, request):
        refuse_auth_token(request, "read invitations from other workspaces")
        return self.paginated_response(
            selectors.invitation_list_for_user(user=request.user), MyInvitationOutputSerializer
        )


class InvitationAcceptView(APIView):
    """Accept an invitation addressed to you."""

    @extend_schema(
        tags=["invitations"],
        operation_id="my_invitations_accept",
        summary="Accept an invitation addressed to you and join the workspace",
        description="You must be logged in with the invited e-mail address (403 INVITATION_EMAIL_MISMATCH).",
        request=None,
        responses={201: MyWorkspaceOutputSerializer, **errors(403, 404, 409)},
    )
    def post(self, request, key):
        refuse_auth_token(request, "accept an invitation")
        invitation = selectors.invitation_get_by_key(key=key)
        membership = services.invitation_accept(user=request.user, invitation=invitation)
        return Response(MyWorkspaceOutputSerializer(membership).data, status=status.HTTP_201_CREATED)


class InvitationDeclineView(APIView):
    """Decline an invitation addressed to you."""

    @extend_schema(
        tags=["invitations"],
        operation_id="my_invitations_decline",
        summary="Decline an invitation addressed to you",
        request=None,
        responses={200: MyInvitationOutputSerializer, **errors(403, 404, 409)},
    )
    def post(self, request, key):
        refuse_auth_token(request, "decline an invitation")
        invitation = selectors.invitation_get_by_key(key=key)
        invitation = services.invitation_decline(user=request.user, invitation=invitation)
        return Response(MyInvitationOutputSerializer(invitation).data)


# ---------------------------------------------------------------- me


class MeView(APIView):
    """The logged-in user and the workspaces they belong to."""

    @extend_schema(
        tags=["me"],
        operation_id="me_retrieve",
        summary="You, and your memberships",
        responses={200: MeOutputSerializer, **errors(403)},
    )
    def get(self, request):
        memberships = selectors.membership_list_for_user(
            user=request.user, only_workspace=_token_workspace(request)
        )
        return Response(MeOutputSerializer({"user": request.user, "memberships": memberships}).data)
