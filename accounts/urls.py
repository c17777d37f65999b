"""Dashboard pages of accounts."""

from django.urls import path

from .views import account, auth, home, members, workspace

app_name = "accounts"

W = "w/<slug:workspace_slug>/"

urlpatterns = [
    path("", home.home, name="home"),
    # Accounts
    path("signup/", auth.signup, name="signup"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("confirm-email/<uidb64>/<token>/", auth.email_confirm, name="email_confirm"),
    path("account/", account.account, name="account"),
    path("account/profile/", account.account_profile, name="account_profile"),
    path("account/email/", account.account_email, name="account_email"),
    path("account/email/resend/", auth.email_confirm_resend, name="email_confirm_resend"),
    path("account/password/", account.account_password, name="account_password"),
    # Workspaces and invitations
    path("workspaces/new/", home.workspace_create, name="workspace_create"),
    path("invitations/<uuid:key>/", home.invitation, name="invitation"),
    path("invitations/<uuid:key>/signup/", auth.signup_from_invitation, name="signup_from_invitation"),
    path("invitations/<uuid:key>/accept/", home.invitation_accept, name="invitation_accept"),
    path("invitations/<uuid:key>/decline/", home.invitation_decline, name="invitation_decline"),
    # Inside a workspace
    path(W, workspace.workspace_home, name="workspace_home"),
    path(W + "settings/", workspace.workspace_settings, name="workspace_settings"),
    path(W + "settings/rename/", workspace.workspace_rename, name="workspace_rename"),
    path(W + "settings/delete/", workspace.workspace_delete, name="workspace_delete"),
    path(W + "settings/leave/", workspace.workspace_leave, name="workspace_leave"),
    path(W + "members/", members.members, name="members"),
    path(W + "members/invite/", members.member_invite, name="member_invite"),
    path(W + "members/<int:membership_id>/role/", members.member_change_role, name="member_change_role"),
    path(
        W + "members/<int:membership_id>/permissions/",
        members.member_set_permissions,
        name="member_permissions",
    ),
    path(W + "members/<int:membership_id>/remove/", members.member_remove, name="member_remove"),
    path(W + "invitations/<int:invitation_id>/resend/", members.invitation_resend, name="invitation_resend"),
    path(W + "invitations/<int:invitation_id>/revoke/", members.invitation_revoke, name="invitation_revoke"),
]
