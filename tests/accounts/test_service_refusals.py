"""Every refusal of accounts.services, as the person refused reads it.

The message is the product here: it says what went wrong and how to fix it, and every door (API,
dashboard, admin) shows it as written. So each one is pinned with its code, kind and field, and
a refusal leaves nothing half-written.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, InvitationStatus, Membership, Role, User, Workspace
from project.errors import DomainError, ErrorKind
from tests.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

FORBIDDEN, CONFLICT, INVALID, NOT_FOUND = (
    ErrorKind.FORBIDDEN,
    ErrorKind.CONFLICT,
    ErrorKind.INVALID,
    ErrorKind.NOT_FOUND,
)


def refusal(call, **kwargs) -> tuple:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    error = caught.value
    return error.code, error.kind, error.field, error.message


def memberships():
    return list(Membership.objects.order_by("pk").values_list("pk", "workspace_id", "role", "manage_members"))


# ------------------------------------------------------------ sign-up and workspaces


def test_signup_refusals(settings):
    services.user_signup(email="ada@example.com", password="a-long-unusual-pass")

    # A taken address is not refused, which would tell who has an account: nothing new is made.
    assert services.user_signup(email="ADA@example.com", password="a-long-unusual-pass") is None
    assert User.objects.filter(email__iexact="ada@example.com").count() == 1
    code, kind, field, message = refusal(services.user_signup, email="bob@example.com", password="123")
    assert (code, kind, field) == ("WEAK_PASSWORD", INVALID, "password")
    assert "This password is too short." in message
    settings.PUBLIC_SIGNUP = False
    assert refusal(services.user_signup, email="eve@example.com", password="a-long-unusual-pass") == (
        "SIGNUP_CLOSED",
        FORBIDDEN,
        None,
        "Sign-up is by invitation only here; ask a workspace admin to invite you.",
    )
    assert not User.objects.filter(email__in=["bob@example.com", "eve@example.com"]).exists()


def test_workspace_refusals(owner):
    user = owner.user
    assert refusal(services.workspace_create, owner=user, name="X", slug="admin") == (
        "INVALID_SLUG",
        INVALID,
        "slug",
        "Choose a different slug: letters, digits and dashes.",
    )
    assert refusal(services.workspace_create, owner=user, name="X", slug="!!!")[0] == "INVALID_SLUG"
    assert refusal(services.workspace_create, owner=user, name="X", slug="acme") == (
        "SLUG_TAKEN",
        INVALID,
        "slug",
        "That slug is taken; choose another.",
    )
    assert Workspace.objects.count() == 1


def test_a_chosen_slug_is_slugified_and_used():
    workspace = services.workspace_create(owner=UserFactory(), name="Acme", slug="My Team")
    assert workspace.slug == "my-team"


def test_workspace_rename_and_delete_refusals(workspace, owner, admin, member):
    assert refusal(services.workspace_rename, actor=member, name="New") == (
        "PERMISSION_DENIED",
        FORBIDDEN,
        None,
        "Only owners and admins can rename the workspace.",
    )
    assert services.workspace_rename(actor=admin, name=" New ").name == "New"
    assert refusal(services.workspace_delete, actor=admin, confirm_name="New") == (
        "OWNER_REQUIRED",
        FORBIDDEN,
        None,
        "Only an owner can delete the workspace.",
    )
    assert refusal(services.workspace_delete, actor=owner, confirm_name="new") == (
        "CONFIRMATION_MISMATCH",
        INVALID,
        "confirm_name",
        "Type the workspace name “New” exactly to confirm.",
    )
    services.workspace_delete(actor=owner, confirm_name=" New ")
    assert not Workspace.objects.filter(pk=workspace.pk).exists()


# ------------------------------------------------------------ memberships


def test_role_refusals(workspace, owner, admin, member):
    before = memberships()
    assert refusal(services.membership_change_role, actor=owner, membership=member, role="king") == (
        "INVALID_ROLE",
        INVALID,
        "role",
        "Role must be one of owner, admin, member.",
    )
    assert refusal(services.membership_change_role, actor=admin, membership=member, role=Role.OWNER) == (
        "OWNER_REQUIRED",
        FORBIDDEN,
        None,
        "Only an owner can make someone an owner.",
    )
    assert refusal(services.membership_change_role, actor=admin, membership=owner, role=Role.MEMBER) == (
        "OWNER_REQUIRED",
        FORBIDDEN,
        None,
        "Only an owner can change or remove another owner.",
    )
    assert refusal(services.membership_change_role, actor=member, membership=admin, role=Role.MEMBER) == (
        "PERMISSION_DENIED",
        FORBIDDEN,
        None,
        "You need the “manage members” permission to change roles; ask a workspace admin.",
    )
    assert refusal(services.membership_change_role, actor=owner, membership=owner, role=Role.ADMIN) == (
        "LAST_OWNER",
        CONFLICT,
        None,
        "A workspace needs at least one owner; make someone else an owner before you change this role.",
    )
    assert memberships() == before


def test_a_manager_cannot_raise_or_touch_anyone_above_them(workspace, admin, make_member):
    manager = make_member(workspace, Role.MEMBER, manage_members=True)
    other = make_member(workspace, Role.MEMBER)
    before = memberships()

    assert refusal(services.membership_change_role, actor=manager, membership=other, role=Role.ADMIN) == (
        "ROLE_TOO_HIGH",
        FORBIDDEN,
        None,
        "You cannot give someone a role above your own.",
    )
    assert refusal(services.membership_remove, actor=manager, membership=admin) == (
        "ROLE_TOO_HIGH",
        FORBIDDEN,
        None,
        "You cannot change a member whose role is above your own.",
    )
    assert memberships() == before


def test_removal_refusals(workspace, owner, admin, member, outsider):
    before = memberships()
    assert refusal(services.membership_remove, actor=owner, membership=outsider) == (
        "NOT_FOUND",
        NOT_FOUND,
        None,
        "No such member in this workspace.",
    )
    assert refusal(services.membership_remove, actor=member, membership=admin) == (
        "PERMISSION_DENIED",
        FORBIDDEN,
        None,
        "You need the “manage members” permission to remove members; ask a workspace admin.",
    )
    assert refusal(services.membership_remove, actor=owner, membership=owner) == (
        "LAST_OWNER",
        CONFLICT,
        None,
        "A workspace needs at least one owner; make someone else an owner before you leave.",
    )
    assert memberships() == before


def test_removing_another_owner_while_one_remains(workspace, owner, make_member):
    other_owner = make_member(workspace, Role.OWNER)
    services.membership_remove(actor=owner, membership=other_owner)
    assert refusal(services.membership_remove, actor=owner, membership=owner)[3] == (
        "A workspace needs at least one owner; make someone else an owner before you leave."
    )


def test_capability_refusals(workspace, admin, make_member):
    manager = make_member(workspace, Role.MEMBER, manage_members=True)
    other = make_member(workspace, Role.MEMBER)
    before = memberships()

    assert refusal(
        services.membership_set_capabilities, actor=admin, membership=other, capabilities={"fly": True}
    ) == (
        "UNKNOWN_CAPABILITY",
        INVALID,
        "fly",
        "Unknown permission 'fly'; use one of manage_members, manage_licenses, manage_ci_tokens, "
        "manage_parameters, view_usage.",
    )
    assert refusal(
        services.membership_set_capabilities,
        actor=manager,
        membership=other,
        capabilities={"manage_licenses": True},
    ) == (
        "CAPABILITY_NOT_HELD",
        FORBIDDEN,
        None,
        "You cannot grant “manage licenses” because you do not hold it.",
    )
    assert refusal(
        services.membership_set_capabilities,
        actor=manager,
        membership=manager,
        capabilities={"view_usage": True},
    ) == (
        "PERMISSION_DENIED",
        FORBIDDEN,
        None,
        "You cannot change your own permissions; ask a workspace admin.",
    )
    assert memberships() == before


def test_capabilities_change_only_what_is_sent(workspace, admin, make_member):
    other = make_member(workspace, Role.MEMBER, view_usage=True)

    services.membership_set_capabilities(
        actor=admin, membership=other, capabilities={"manage_licenses": 1, "view_usage": True}
    )

    other.refresh_from_db()
    assert other.manage_licenses is True and other.view_usage is True and other.manage_members is False
    services.membership_set_capabilities(actor=admin, membership=other, capabilities={"view_usage": False})
    other.refresh_from_db()
    assert (other.manage_licenses, other.view_usage) == (True, False)


def test_a_manager_may_resend_a_permission_the_member_already_has(workspace, make_member):
    manager = make_member(workspace, Role.MEMBER, manage_members=True)
    other = make_member(workspace, Role.MEMBER, manage_licenses=True)

    services.membership_set_capabilities(
        actor=manager, membership=other, capabilities={"manage_licenses": True}
    )
    services.membership_set_capabilities(
        actor=manager, membership=other, capabilities={"manage_licenses": False}
    )
    other.refresh_from_db()
    assert other.manage_licenses is False


def test_the_role_is_unchanged_when_it_is_the_same(owner, admin):
    assert services.membership_change_role(actor=owner, membership=admin, role=Role.ADMIN).role == Role.ADMIN
    assert (
        services.membership_change_role(actor=owner, membership=admin, role=Role.MEMBER).role == Role.MEMBER
    )
    admin.refresh_from_db()
    assert admin.role == Role.MEMBER


# ------------------------------------------------------------ invitations


def test_invitation_refusals(workspace, owner, member):
    assert refusal(services.membership_invite, actor=member, email="x@example.com") == (
        "PERMISSION_DENIED",
        FORBIDDEN,
        None,
        "You need the “manage members” permission to invite members; ask a workspace admin.",
    )
    assert refusal(services.membership_invite, actor=owner, email="not an address") == (
        "INVALID_EMAIL",
        INVALID,
        "email",
        "Enter a valid e-mail address.",
    )
    assert refusal(services.membership_invite, actor=owner, email="x@example.com", role="king")[0] == (
        "INVALID_ROLE"
    )
    assert not Invitation.objects.exists()


def test_managing_a_closed_or_foreign_invitation(workspace, owner, member, outsider):
    invitation = InvitationFactory(
        workspace=workspace, email="x@example.com", status=InvitationStatus.DECLINED
    )

    assert refusal(services.invitation_resend, actor=owner, invitation=invitation) == (
        "INVITATION_CLOSED",
        CONFLICT,
        None,
        "This invitation was already declined; send a new one instead.",
    )
    assert refusal(services.invitation_revoke, actor=member, invitation=invitation) == (
        "PERMISSION_DENIED",
        FORBIDDEN,
        None,
        "You need the “manage members” permission to manage invitations; ask a workspace admin.",
    )
    assert refusal(services.invitation_revoke, actor=outsider, invitation=invitation)[:2] == (
        "NOT_FOUND",
        NOT_FOUND,
    )
    invitation.refresh_from_db()
    assert (invitation.status, invitation.responded_at) == (InvitationStatus.DECLINED, None)


def test_answering_refusals(workspace):
    user = UserFactory(email="new@example.com")
    used = InvitationFactory(workspace=workspace, email="new@example.com", status=InvitationStatus.REVOKED)
    expired = InvitationFactory(
        workspace=workspace, email="new@example.com", expires_at=timezone.now() - timedelta(seconds=1)
    )
    for_someone_else = InvitationFactory(workspace=workspace, email="other@example.com")

    for answer in (services.invitation_accept, services.invitation_decline):
        assert refusal(answer, user=user, invitation=used) == (
            "INVITATION_USED",
            CONFLICT,
            None,
            "This invitation was already revoked; ask for a new one.",
        )
        assert refusal(answer, user=user, invitation=expired) == (
            "INVITATION_EXPIRED",
            CONFLICT,
            None,
            "This invitation has expired; ask a workspace admin to resend it.",
        )
        assert refusal(answer, user=user, invitation=for_someone_else) == (
            "INVITATION_EMAIL_MISMATCH",
            FORBIDDEN,
            None,
            "This invitation is for another e-mail address; you are logged in as new@example.com. "
            "Log out and log in with the invited address to accept it.",
        )
    assert not Membership.objects.filter(user=user).exists()


def test_an_existing_member_is_told_they_are_already_in(workspace, member):
    invitation = InvitationFactory(workspace=workspace, email=member.user.email)
    assert refusal(services.invitation_accept, user=member.user, invitation=invitation) == (
        "ALREADY_MEMBER",
        CONFLICT,
        None,
        "You are already a member of this workspace.",
    )


def test_an_invitation_lasts_the_configured_days(owner, settings):
    settings.INVITATION_LIFETIME_DAYS = 3
    invitation = services.membership_invite(actor=owner, email="x@example.com")
    left = invitation.expires_at - timezone.now()
    assert timedelta(days=3) - timedelta(minutes=1) < left <= timedelta(days=3)


def test_blank_and_long_workspace_names_are_refused_by_create_and_rename(owner):
    for blank in ("", "  ", None):
        expected = ("NAME_REQUIRED", INVALID, "name", "Give the workspace a name.")
        assert refusal(services.workspace_create, owner=owner.user, name=blank) == expected
        assert refusal(services.workspace_rename, actor=owner, name=blank) == expected
    expected = ("NAME_TOO_LONG", INVALID, "name", "Keep the workspace name to 100 characters.")
    assert refusal(services.workspace_create, owner=owner.user, name="n" * 101) == expected
    assert refusal(services.workspace_rename, actor=owner, name="n" * 101) == expected
    assert Workspace.objects.count() == 1


def test_changing_someone_elses_permissions_needs_manage_members(workspace, member, make_member):
    other = make_member(workspace, Role.MEMBER)
    assert refusal(
        services.membership_set_capabilities,
        actor=member,
        membership=other,
        capabilities={"view_usage": False},
    ) == (
        "PERMISSION_DENIED",
        FORBIDDEN,
        None,
        "You need the “manage members” permission to change permissions; ask a workspace admin.",
    )


def test_a_password_like_the_address_is_refused():
    code, _, field, message = refusal(
        services.user_signup, email="lovelace.ada@example.com", password="lovelace.ada", full_name="X"
    )
    assert (code, field, message) == (
        "WEAK_PASSWORD",
        "password",
        "The password is too similar to the email.",
    )


def test_every_reason_a_password_is_weak_is_given_in_one_sentence_each():
    _, _, _, message = refusal(services.user_signup, email="ada@example.com", password="1234567")
    assert message == (
        "This password is too short. It must contain at least 8 characters. "
        "This password is too common. This password is entirely numeric."
    )


def test_an_owner_of_another_workspace_is_told_there_is_no_such_member(member, outsider):
    before = memberships()
    assert refusal(services.membership_change_role, actor=outsider, membership=member, role=Role.ADMIN) == (
        "NOT_FOUND",
        NOT_FOUND,
        None,
        "No such member in this workspace.",
    )
    assert refusal(services.membership_remove, actor=outsider, membership=member)[0] == "NOT_FOUND"
    assert memberships() == before


# ------------------------------------------------------------ account, staff and deletion refusals


def test_account_refusals(owner):
    user = owner.user
    assert refusal(services.email_confirmation_resend, user=user) == (
        "EMAIL_ALREADY_CONFIRMED",
        CONFLICT,
        None,
        "Your e-mail address is already confirmed.",
    )
    assert refusal(services.email_confirm, user_id=user.pk, token="1-2") == (
        "CONFIRMATION_LINK_INVALID",
        INVALID,
        None,
        "This confirmation link is invalid, used or expired; send a new one from your account page.",
    )
    assert refusal(services.user_email_change_request, user=user, new_email="OWNER@acme.test") == (
        "EMAIL_UNCHANGED",
        INVALID,
        "email",
        "That is already your e-mail address.",
    )
    assert refusal(services.user_update_profile, user=user, full_name="n" * 151) == (
        "NAME_TOO_LONG",
        INVALID,
        "full_name",
        "Keep your name to 150 characters.",
    )
    assert refusal(services.user_update_profile, user=user, full_name="Ada\nL")[:3] == (
        "CONTROL_CHARACTERS",
        INVALID,
        "full_name",
    )
    user.refresh_from_db()
    assert (user.email, user.pending_email, user.full_name) == ("owner@acme.test", "", owner.user.full_name)


def test_a_confirmation_link_to_an_address_taken_meanwhile_is_refused(owner):
    from accounts.confirmation import confirmation_tokens

    user = services.user_email_change_request(user=owner.user, new_email="new@example.com")
    token = confirmation_tokens.make_token(user)
    UserFactory(email="NEW@example.com")
    assert refusal(services.email_confirm, user_id=user.pk, token=token) == (
        "EMAIL_TAKEN",
        CONFLICT,
        None,
        "new@example.com now belongs to another account; choose another address.",
    )
    user.refresh_from_db()
    assert (user.email, user.pending_email) == ("owner@acme.test", "new@example.com")


def test_invited_signup_for_an_address_with_an_account_is_refused(workspace, owner):
    invitation = InvitationFactory(workspace=workspace, email="New@Example.com", invited_by=owner.user)
    UserFactory(email="new@example.com")
    assert refusal(
        services.user_signup_from_invitation, invitation=invitation, password="a-long-unusual-pass"
    ) == (
        "EMAIL_TAKEN",
        CONFLICT,
        None,
        "new@example.com already has an account; log in to accept the invitation.",
    )


def test_only_staff_onboard_customers_and_resend_from_admin(workspace, owner, member):
    not_staff = member.user
    assert refusal(
        services.workspace_create_for_customer, staff=not_staff, name="Globex", owner_email="boss@globex.test"
    ) == ("STAFF_REQUIRED", FORBIDDEN, None, "Only Keyward staff create workspaces for customers.")
    staff = UserFactory(email="support@keyward.test", is_staff=True)
    assert refusal(
        services.workspace_create_for_customer, staff=staff, name="Globex", owner_email="not an address"
    ) == ("INVALID_EMAIL", INVALID, "owner_email", "Enter a valid e-mail address.")
    assert not Workspace.objects.filter(name="Globex").exists()

    pending = InvitationFactory(workspace=workspace, email="late@example.com", invited_by=owner.user)
    assert refusal(services.invitation_resend_by_staff, staff=not_staff, invitation=pending) == (
        "STAFF_REQUIRED",
        FORBIDDEN,
        None,
        "Only Keyward staff resend invitations from admin.",
    )
    closed = InvitationFactory(
        workspace=workspace, email="gone@example.com", status=InvitationStatus.DECLINED
    )
    assert refusal(services.invitation_resend_by_staff, staff=staff, invitation=closed) == (
        "INVITATION_CLOSED",
        CONFLICT,
        None,
        "This invitation was already declined; send a new one instead.",
    )


def test_the_only_owner_of_a_workspace_cannot_be_deleted(owner):
    assert refusal(services.user_delete, user=owner.user) == (
        "LAST_OWNER",
        CONFLICT,
        None,
        "owner@acme.test is the only owner of “Acme”; make someone else an owner first.",
    )
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_a_name_of_exactly_150_characters_is_kept(owner):
    services.user_update_profile(user=owner.user, full_name="n" * 150)
    owner.user.refresh_from_db()
    assert owner.user.full_name == "n" * 150


def test_staff_onboarding_without_a_slug_takes_it_from_the_name():
    staff = UserFactory(email="support@keyward.test", is_staff=True)
    invitation = services.workspace_create_for_customer(
        staff=staff, name="Globex Corp", owner_email="boss@globex.test"
    )
    assert invitation.workspace.slug == "globex-corp"


def test_invited_signup_refuses_a_password_like_the_invited_address(workspace, owner):
    invitation = InvitationFactory(
        workspace=workspace, email="lovelace.ada@example.com", invited_by=owner.user
    )
    assert refusal(services.user_signup_from_invitation, invitation=invitation, password="lovelace.ada") == (
        "WEAK_PASSWORD",
        INVALID,
        "password",
        "The password is too similar to the email.",
    )
    assert not User.objects.filter(email="lovelace.ada@example.com").exists()


def test_invited_signup_keeps_the_name_and_the_password(workspace, owner):
    invitation = InvitationFactory(workspace=workspace, email="new@example.com", invited_by=owner.user)
    membership = services.user_signup_from_invitation(
        invitation=invitation, password="a-long-unusual-pass", full_name=" Ada Lovelace "
    )
    user = User.objects.get(pk=membership.user_id)
    assert user.full_name == "Ada Lovelace"
    assert user.check_password("a-long-unusual-pass")
