"""Rules of accounts.services that a mutation run showed the suite would not notice breaking.

Each test is a behaviour a user would feel: through the service, and through one door where the
door is how people meet the rule.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, InvitationStatus, Membership, Role, User
from authtokens.models import SecurityAction, SecurityEvent
from project.errors import DomainError
from tests.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-pass"


def error_of(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


def api(name, **kwargs):
    return reverse(f"accounts_api:{name}", kwargs=kwargs)


# ------------------------------------------------------------ sign-up


def test_a_new_user_can_log_in_again_with_the_password_they_chose():
    services.user_signup(email="ada@example.com", password=PASSWORD, full_name="Ada Lovelace")

    assert authenticate(email="ada@example.com", password=PASSWORD) is not None
    assert authenticate(email="ada@example.com", password="not-" + PASSWORD) is None


def test_the_signup_email_is_stored_lower_cased_and_logs_in_in_any_case():
    user = services.user_signup(email="  Grace.Hopper@Example.COM ", password=PASSWORD)

    assert User.objects.get(pk=user.pk).email == "grace.hopper@example.com"
    assert authenticate(email="grace.hopper@example.com", password=PASSWORD) == user


def test_signup_keeps_the_full_name_and_names_the_personal_workspace_after_it():
    user = services.user_signup(email="ada@example.com", password=PASSWORD, full_name="  Ada Lovelace ")

    assert User.objects.get(pk=user.pk).full_name == "Ada Lovelace"
    assert Membership.objects.get(user=user).workspace.name == "Ada's workspace"


def test_signup_refuses_a_malformed_address_naming_the_field():
    error = error_of(services.user_signup, email="not-an-address", password=PASSWORD)

    assert (error.code, error.field) == ("INVALID_EMAIL", "email")
    assert error.message == "Enter a valid e-mail address."
    assert not User.objects.exists()


# ------------------------------------------------------------ workspace names


def test_a_workspace_name_may_be_100_characters_but_not_101(owner):
    user = owner.user
    assert services.workspace_create(owner=user, name="n" * 100).name == "n" * 100
    error = error_of(services.workspace_create, owner=user, name="n" * 101)
    assert (error.code, error.field) == ("NAME_TOO_LONG", "name")
    assert error.message == "Keep the workspace name to 100 characters."

    assert services.workspace_rename(actor=owner, name="r" * 100).name == "r" * 100
    error = error_of(services.workspace_rename, actor=owner, name="r" * 101)
    assert (error.code, error.field) == ("NAME_TOO_LONG", "name")
    owner.workspace.refresh_from_db()
    assert owner.workspace.name == "r" * 100


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_a_blank_workspace_name_is_refused(owner, blank):
    error = error_of(services.workspace_rename, actor=owner, name=blank)
    assert (error.code, error.field, error.message) == ("NAME_REQUIRED", "name", "Give the workspace a name.")
    assert error_of(services.workspace_create, owner=owner.user, name=blank).code == "NAME_REQUIRED"


# ------------------------------------------------------------ the last owner, per workspace


def test_the_only_owner_cannot_leave_even_when_another_workspace_has_owners(
    client_for, workspace, owner, member, outsider
):
    error = error_of(services.membership_remove, actor=owner, membership=owner)
    assert error.code == "LAST_OWNER"

    response = client_for(owner).post(api("workspace-leave", workspace_slug="acme"))
    assert response.status_code == 409
    assert response.json()["code"] == "LAST_OWNER"
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_the_only_owner_cannot_be_demoted_while_another_workspace_has_owners(owner, outsider):
    error = error_of(services.membership_change_role, actor=owner, membership=owner, role=Role.ADMIN)
    assert error.code == "LAST_OWNER"
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


# ------------------------------------------------------------ invitations, per workspace and per address


def test_a_member_of_another_workspace_can_be_invited(client_for, owner, outsider):
    invitation = services.membership_invite(actor=owner, email="outsider@globex.test")
    assert invitation.workspace == owner.workspace

    response = client_for(owner).post(
        api("invitation-list", workspace_slug="acme"), {"email": "someone@globex.test"}, format="json"
    )
    assert response.status_code == 201


def test_an_open_invitation_to_one_address_does_not_block_another(owner):
    first = services.membership_invite(actor=owner, email="first@example.com")
    second = services.membership_invite(actor=owner, email="second@example.com")

    assert {first.email, second.email} == {"first@example.com", "second@example.com"}
    assert Invitation.objects.filter(status=InvitationStatus.PENDING).count() == 2


def test_an_open_invitation_elsewhere_does_not_block_this_workspace(owner, outsider):
    services.membership_invite(actor=outsider, email="shared@example.com")
    invitation = services.membership_invite(actor=owner, email="shared@example.com")
    assert invitation.workspace == owner.workspace


def test_inviting_twice_is_refused_case_insensitively(owner):
    services.membership_invite(actor=owner, email="twice@example.com")
    error = error_of(services.membership_invite, actor=owner, email="TWICE@example.com")
    assert (error.code, error.field) == ("ALREADY_INVITED", "email")
    assert error.message == "twice@example.com already has a pending invitation; resend it instead."


def test_inviting_a_member_names_the_address(owner, member):
    error = error_of(services.membership_invite, actor=owner, email="Member@Acme.test")
    assert (error.code, error.field) == ("ALREADY_MEMBER", "email")
    assert error.message == "member@acme.test is already a member of this workspace."


def test_an_invitation_records_its_inviter_and_lowercases_the_address(owner):
    invitation = services.membership_invite(actor=owner, email="  New.Person@Example.COM ", role=Role.ADMIN)

    invitation.refresh_from_db()
    assert invitation.email == "new.person@example.com"
    assert invitation.invited_by == owner.user
    assert invitation.role == Role.ADMIN
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.responded_at is None


def test_the_invitation_email_says_who_invited_whom_to_what_as_which_role(
    owner, django_capture_on_commit_callbacks
):
    owner.user.full_name = "Olivia Owner"
    owner.user.save()

    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.membership_invite(actor=owner, email="new@example.com", role=Role.ADMIN)

    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    assert message.subject == "You are invited to Acme on Keyward"
    assert "Olivia Owner invited you to join Acme as Admin." in message.body
    assert f"/invitations/{invitation.key}/" in message.body
    assert "New to Keyward? Create your account from that page; you join Acme at once." in message.body
    assert f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC" in message.body


def test_an_invitation_without_an_inviter_is_signed_by_keyward(
    workspace, owner, django_capture_on_commit_callbacks
):
    invitation = InvitationFactory(workspace=workspace, email="new@example.com", invited_by=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(actor=owner, invitation=invitation)

    assert "A Keyward admin invited you to join Acme as Member." in mail.outbox[-1].body


def test_resending_restarts_the_invitation_and_sends_it_again(owner, django_capture_on_commit_callbacks):
    invitation = services.membership_invite(actor=owner, email="new@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now() - timedelta(days=3), expires_at=timezone.now() + timedelta(days=4)
    )
    invitation.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(actor=owner, invitation=invitation)

    invitation.refresh_from_db()
    assert invitation.sent_at > timezone.now() - timedelta(minutes=1)
    assert invitation.expires_at > timezone.now() + timedelta(days=6, hours=23)
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


# ------------------------------------------------------------ answering an invitation


def test_a_member_of_another_workspace_accepts_and_joins_this_one(client_for, owner, outsider):
    invitation = services.membership_invite(actor=owner, email=outsider.user.email)

    response = client_for(outsider).post(api("my-invitation-accept", key=invitation.key))

    assert response.status_code in (200, 201)
    assert Membership.objects.filter(user=outsider.user, workspace=owner.workspace).exists()


def test_an_existing_member_cannot_accept_an_invitation_to_the_same_workspace(workspace, member):
    invitation = InvitationFactory(workspace=workspace, email=member.user.email)

    error = error_of(services.invitation_accept, user=member.user, invitation=invitation)

    assert error.code == "ALREADY_MEMBER"
    assert Membership.objects.filter(user=member.user).count() == 1
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


@pytest.mark.parametrize(
    "answer, status",
    [
        ("invitation_accept", InvitationStatus.ACCEPTED),
        ("invitation_decline", InvitationStatus.DECLINED),
    ],
)
def test_answering_records_when(workspace, answer, status):
    user = UserFactory(email="new@example.com")
    invitation = InvitationFactory(workspace=workspace, email="New@Example.com")
    before = timezone.now()

    getattr(services, answer)(user=user, invitation=invitation)

    invitation.refresh_from_db()
    assert invitation.status == status
    assert before <= invitation.responded_at <= timezone.now()


def test_revoking_records_when(workspace, owner):
    invitation = InvitationFactory(workspace=workspace, email="new@example.com")
    before = timezone.now()

    services.invitation_revoke(actor=owner, invitation=invitation)

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    assert before <= invitation.responded_at <= timezone.now()


def test_accepting_joins_with_the_invited_role_and_a_working_token(workspace):
    user = UserFactory(email="new@example.com")
    invitation = InvitationFactory(workspace=workspace, email="new@example.com", role=Role.ADMIN)

    membership = services.invitation_accept(user=user, invitation=invitation)

    assert (membership.workspace, membership.role) == (workspace, Role.ADMIN)
    assert membership.auth_tokens.filter(kind="developer", revoked_at__isnull=True).count() == 1


# ------------------------------------------------------------ the security log


def test_removing_a_member_logs_who_removed_them(owner, member):
    services.membership_remove(actor=owner, membership=member)

    event = SecurityEvent.objects.get(action=SecurityAction.TOKEN_ENDED)
    assert event.actor == owner.user
    assert event.actor_label == owner.user.email


def test_leaving_logs_the_member_themselves(owner, member):
    services.membership_remove(actor=member, membership=member)

    event = SecurityEvent.objects.get(action=SecurityAction.TOKEN_ENDED)
    assert event.actor == member.user


def test_signup_without_a_name_names_the_workspace_after_the_address():
    user = services.user_signup(email="ada@example.com", password=PASSWORD)

    assert User.objects.get(pk=user.pk).full_name == ""
    assert Membership.objects.get(user=user).workspace.name == "ada@example.com's workspace"


# ------------------------------------------------------------ generated slugs


def test_a_generated_slug_is_at_most_50_characters_and_never_ends_in_a_dash(owner):
    workspace = services.workspace_create(owner=owner.user, name="a" * 49 + " " + "b" * 30)
    assert workspace.slug == "a" * 49

    workspace = services.workspace_create(owner=owner.user, name="c" * 80)
    assert workspace.slug == "c" * 50


def test_a_name_without_letters_gets_the_slug_workspace(owner):
    assert services.workspace_create(owner=owner.user, name="!!!").slug == "workspace"


def test_a_taken_slug_gets_four_lowercase_letters_or_digits_appended(owner):
    for _ in range(11):
        services.workspace_create(owner=owner.user, name="Globex")
    slugs = sorted(Membership.objects.filter(user=owner.user).values_list("workspace__slug", flat=True))
    suffixed = [slug for slug in slugs if slug.startswith("globex-")]
    assert len(suffixed) == 10
    for slug in suffixed:
        assert re.fullmatch(r"globex-[a-z0-9]{4}", slug)
