"""Accounts routes under /api/v1/ (URL names in the `accounts_api` namespace)."""

from django.urls import path

from . import views

app_name = "accounts_api"

workspace = "workspaces/<slug:workspace_slug>/"

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("workspaces/", views.WorkspaceListView.as_view(), name="workspace-list"),
    path(workspace, views.WorkspaceDetailView.as_view(), name="workspace-detail"),
    path(f"{workspace}leave/", views.WorkspaceLeaveView.as_view(), name="workspace-leave"),
    path(f"{workspace}members/", views.MemberListView.as_view(), name="member-list"),
    path(f"{workspace}members/<int:membership_id>/", views.MemberDetailView.as_view(), name="member-detail"),
    path(f"{workspace}invitations/", views.InvitationListView.as_view(), name="invitation-list"),
    path(
        f"{workspace}invitations/<int:invitation_id>/resend/",
        views.InvitationResendView.as_view(),
        name="invitation-resend",
    ),
    path(
        f"{workspace}invitations/<int:invitation_id>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation-revoke",
    ),
    path("invitations/", views.MyInvitationListView.as_view(), name="my-invitation-list"),
    path("invitations/<uuid:key>/accept/", views.InvitationAcceptView.as_view(), name="my-invitation-accept"),
    path(
        "invitations/<uuid:key>/decline/", views.InvitationDeclineView.as_view(), name="my-invitation-decline"
    ),
]
