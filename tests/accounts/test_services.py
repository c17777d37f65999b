"""The membership invariants, enforced in accounts.services whatever the front door."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, InvitationStatus, Membership, Role, User, Workspace
from project.errors import DomainError, ErrorKind
from tests.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db


def error_of(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


# ------------------------------------------------------------ sign-up and workspaces


def test_signup_creates_a_personal_workspace_owned_by_the_user():
    user = services.user_signup(email=" Ada@Example.COM ", password="a-long-unusual-pass", full_name="Ada L")
    assert user.email == "ada@example.com"
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.workspace.name == "Ada's workspace"


def test_signup_refuses_a_weak_password_naming_the_field():
    assert error_of(services.user_signup, email="bob@example.com", password="123").field == "password"
    assert error_of(services.user_signup, email="bob", password="a-long-unusual-pass").field == "email"
    assert User.objects.count() == 0


def test_workspace_slugs_are_unique_and_avoid_reserved_words():
    user = UserFactory()
    first = services.workspace_create(owner=user, name="Acme")
    second = services.workspace_create(owner=user, name="Acme")
    assert first.slug == "acme" and second.slug.startswith("acme-") and second.slug != first.slug
    assert services.workspace_create(owner=user, name="Admin").slug == "admin-workspace"
    assert error_of(services.workspace_create, owner=user, name="X", slug="acme").code == "SLUG_TAKEN"


def test_only_owners_delete_and_only_after_typing_the_name(workspace, owner, admin):
    assert error_of(services.workspace_delete, actor=admin, confirm_name="Acme").code == "OWNER_REQUIRED"
    assert error_of(services.workspace_delete, actor=owner, confirm_name="acme").field == "confirm_name"
    services.workspace_delete(actor=owner, confirm_name="Acme")
    assert not Workspace.objects.filter(pk=workspace.pk).exists()


def test_rename_needs_owner_or_admin(owner, member):
    assert error_of(services.workspace_rename, actor=member, name="New").kind == ErrorKind.FORBIDDEN
    assert services.workspace_rename(actor=owner, name="  Acme Two ").name == "Acme Two"


# ------------------------------------------------------------ last owner


def test_last_owner_cannot_leave_be_removed_or_be_demoted(owner, admin):
    assert error_of(services.membership_remove, actor=owner, membership=owner).code == "LAST_OWNER"
    assert error_of(services.membership_change_role, actor=owner, membership=owner, role=Role.ADMIN).code == (
        "LAST_OWNER"
    )
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_an_owner_can_leave_once_there_is_another_owner(workspace, owner, make_member):
    second = make_member(workspace, Role.OWNER)
    services.membership_remove(actor=owner, membership=owner)
    assert list(Membership.objects.filter(workspace=workspace).values_list("pk", flat=True)) == [second.pk]


def test_admins_cannot_remove_or_demote_owners(workspace, owner, admin, make_member):
    make_member(workspace, Role.OWNER)
    assert error_of(services.membership_remove, actor=admin, membership=owner).code == "OWNER_REQUIRED"
    assert error_of(
        services.membership_change_role, actor=admin, membership=owner, role=Role.MEMBER
    ).code == ("OWNER_REQUIRED")


# ------------------------------------------------------------ only owners make owners


def test_only_owners_make_owners(owner, admin, member):
    assert error_of(
        services.membership_change_role, actor=admin, membership=member, role=Role.OWNER
    ).code == ("OWNER_REQUIRED")
    assert error_of(services.membership_invite, actor=admin, email="x@example.com", role=Role.OWNER).code == (
        "OWNER_REQUIRED"
    )
    services.membership_change_role(actor=owner, membership=member, role=Role.OWNER)
    member.refresh_from_db()
    assert member.role == Role.OWNER


def test_a_member_with_manage_members_cannot_make_admins(workspace, make_member):
    manager = make_member(workspace, Role.MEMBER, manage_members=True)
    target = make_member(workspace, Role.MEMBER)
    assert error_of(
        services.membership_change_role, actor=manager, membership=target, role=Role.ADMIN
    ).code == ("ROLE_TOO_HIGH")


# ------------------------------------------------------------ manage_members


def test_without_manage_members_nobody_changes_anyone_else(workspace, owner, member, make_member):
    other = make_member(workspace, Role.MEMBER)
    for call, kwargs in [
        (services.membership_change_role, {"membership": other, "role": Role.MEMBER}),
        (services.membership_set_capabilities, {"membership": other, "capabilities": {"view_usage": False}}),
        (services.membership_remove, {"membership": other}),
        (services.membership_invite, {"email": "new@example.com"}),
    ]:
        assert error_of(call, actor=member, **kwargs).kind == ErrorKind.FORBIDDEN, call.__name__
    assert Membership.objects.filter(pk=other.pk).exists()
    assert not Invitation.objects.exists()


def test_a_member_can_leave_without_manage_members(member, owner):
    services.membership_remove(actor=member, membership=member)
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_actors_from_another_workspace_get_not_found(member, outsider):
    assert error_of(services.membership_remove, actor=outsider, membership=member).kind == ErrorKind.NOT_FOUND


# ------------------------------------------------------------ capabilities


def test_owners_and_admins_hold_every_capability_members_none_by_default(owner, admin, member):
    assert all(owner.capabilities().values()) and all(admin.capabilities().values())
    assert not any(member.capabilities().values())


def test_nobody_grants_a_capability_they_do_not_hold(workspace, make_member):
    manager = make_member(workspace, Role.MEMBER, manage_members=True)
    target = make_member(workspace, Role.MEMBER)
    error = error_of(
        services.membership_set_capabilities,
        actor=manager,
        membership=target,
        capabilities={"manage_licenses": True},
    )
    assert error.code == "CAPABILITY_NOT_HELD"
    services.membership_set_capabilities(
        actor=manager, membership=target, capabilities={"manage_members": True}
    )
    target.refresh_from_db()
    assert target.manage_members and not target.manage_licenses


def test_admin_toggles_any_capability_and_unknown_ones_are_refused(admin, member):
    services.membership_set_capabilities(
        actor=admin, membership=member, capabilities={"manage_ci_tokens": True, "view_usage": True}
    )
    member.refresh_from_db()
    assert member.has_capability("manage_ci_tokens") and member.has_capability("view_usage")
    error = error_of(
        services.membership_set_capabilities, actor=admin, membership=member, capabilities={"root": True}
    )
    assert (error.code, error.field) == ("UNKNOWN_CAPABILITY", "root")


def test_members_cannot_raise_their_own_permissions(workspace, make_member):
    manager = make_member(workspace, Role.MEMBER, manage_members=True)
    error = error_of(
        services.membership_set_capabilities,
        actor=manager,
        membership=manager,
        capabilities={"view_usage": False},
    )
    assert error.kind == ErrorKind.FORBIDDEN


# ------------------------------------------------------------ invitations


def test_invite_sends_an_email_after_commit(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.membership_invite(actor=owner, email="New@Example.com", role=Role.ADMIN)
    assert invitation.email == "new@example.com"
    assert invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)
    assert len(mail.outbox) == 1
    assert str(invitation.key) in mail.outbox[0].body


def test_invite_refuses_members_duplicates_and_bad_addresses(owner, member):
    assert error_of(services.membership_invite, actor=owner, email=member.user.email).code == "ALREADY_MEMBER"
    assert error_of(services.membership_invite, actor=owner, email="not-an-email").field == "email"
    services.membership_invite(actor=owner, email="new@example.com")
    assert (
        error_of(services.membership_invite, actor=owner, email="NEW@example.com").code == "ALREADY_INVITED"
    )
    assert Invitation.objects.count() == 1


def test_accepting_creates_the_membership_once(workspace, owner):
    invitation = services.membership_invite(actor=owner, email="new@example.com", role=Role.ADMIN)
    user = UserFactory(email="new@example.com")
    membership = services.invitation_accept(user=user, invitation=invitation)
    assert (membership.workspace, membership.role) == (workspace, Role.ADMIN)
    assert error_of(services.invitation_accept, user=user, invitation=invitation).code == "INVITATION_USED"
    assert error_of(services.invitation_decline, user=user, invitation=invitation).code == "INVITATION_USED"


def test_accepting_with_another_email_fails_clearly(owner):
    invitation = services.membership_invite(actor=owner, email="new@example.com")
    error = error_of(
        services.invitation_accept, user=UserFactory(email="someone@else.com"), invitation=invitation
    )
    assert error.code == "INVITATION_EMAIL_MISMATCH"
    assert "someone@else.com" in error.message and "new@example.com" not in error.message
    assert not Membership.objects.filter(user__email="someone@else.com", workspace=owner.workspace).exists()


def test_expired_invitations_cannot_be_accepted_and_can_be_resent(owner):
    invitation = InvitationFactory(
        workspace=owner.workspace, email="late@example.com", expires_at=timezone.now() - timedelta(seconds=1)
    )
    user = UserFactory(email="late@example.com")
    assert error_of(services.invitation_accept, user=user, invitation=invitation).code == "INVITATION_EXPIRED"
    services.invitation_resend(actor=owner, invitation=invitation)
    assert services.invitation_accept(user=user, invitation=invitation).role == Role.MEMBER


def test_an_expired_pending_invitation_does_not_block_a_new_one(owner):
    InvitationFactory(workspace=owner.workspace, email="late@example.com", expires_at=timezone.now())
    services.membership_invite(actor=owner, email="late@example.com")
    assert Invitation.objects.filter(status=InvitationStatus.PENDING).count() == 1


def test_decline_and_revoke_close_the_invitation(owner):
    declined = services.membership_invite(actor=owner, email="a@example.com")
    services.invitation_decline(user=UserFactory(email="a@example.com"), invitation=declined)
    revoked = services.membership_invite(actor=owner, email="b@example.com")
    services.invitation_revoke(actor=owner, invitation=revoked)
    assert Invitation.objects.get(pk=declined.pk).status == InvitationStatus.DECLINED
    assert Invitation.objects.get(pk=revoked.pk).status == InvitationStatus.REVOKED
    error = error_of(services.invitation_accept, user=UserFactory(email="b@example.com"), invitation=revoked)
    assert error.code == "INVITATION_USED"


def test_invitation_management_needs_manage_members(owner, member):
    invitation = services.membership_invite(actor=owner, email="a@example.com")
    assert (
        error_of(services.invitation_revoke, actor=member, invitation=invitation).kind == ErrorKind.FORBIDDEN
    )
    assert (
        error_of(services.invitation_resend, actor=member, invitation=invitation).kind == ErrorKind.FORBIDDEN
    )


def test_membership_update_applies_role_and_permissions_together_or_not_at_all(workspace, owner, make_member):
    manager = make_member(workspace, Role.ADMIN)
    target = make_member(workspace, Role.MEMBER)
    error = error_of(
        services.membership_update,
        actor=manager,
        membership=target,
        role=Role.ADMIN,
        capabilities={"root": True},
    )
    assert error.code == "UNKNOWN_CAPABILITY"
    target.refresh_from_db()
    assert target.role == Role.MEMBER  # the role change was rolled back with the failed permissions
    services.membership_update(
        actor=owner, membership=target, role=Role.ADMIN, capabilities={"view_usage": True}
    )
    target.refresh_from_db()
    assert (target.role, target.view_usage) == (Role.ADMIN, True)


def test_workspaces_solely_owned_by_lists_only_those_without_another_owner(
    workspace, owner, other_workspace, make_member
):
    from accounts.selectors import workspaces_solely_owned_by

    make_member(other_workspace, Role.OWNER)
    services._membership_create(user=owner.user, workspace=other_workspace, role=Role.OWNER)
    assert list(workspaces_solely_owned_by(users=[owner.user])) == [workspace]  # Globex has a second owner
