"""Sign-up safety: confirmed addresses, sign-up through an invitation, invitation-only mode,
and no answer that tells whether an address has an account."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts import selectors, services
from accounts.models import Invitation, InvitationStatus, Membership, Role, User, Workspace
from project.errors import DomainError
from tests.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "an-unusual-passphrase"


def signup(client, email, **extra):
    return client.post(reverse("accounts:signup"), {"email": email, "password": PASSWORD, **extra})


def confirmation_path(address) -> str:
    message = next(m for m in reversed(mail.outbox) if m.to == [address])
    return re.search(r"https?://[^/\s]+(/confirm-email/\S+/)", message.body).group(1)


@pytest.fixture
def invitation(workspace, owner):
    return InvitationFactory(
        workspace=workspace, email="new@example.com", role=Role.ADMIN, invited_by=owner.user
    )


# ---------------------------------------------------------------- plain sign-up


def test_signup_says_check_your_email_and_sends_a_link(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, "Ada@Example.com", full_name="Ada Lovelace")
    assert response.status_code == 200
    assert b"Check your e-mail" in response.content
    user = User.objects.get(email="ada@example.com")
    assert not user.email_verified
    assert Membership.objects.get(user=user).workspace.name == "Ada's workspace"
    assert "_auth_user_id" not in client.session  # logged in only after confirming and logging in
    assert confirmation_path("ada@example.com").startswith("/confirm-email/")


def test_signup_with_a_taken_address_answers_the_same_and_mails_its_owner(
    client, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        taken = signup(client, "OWNER@acme.test")
        fresh = signup(client, "fresh@example.com")
    assert taken.status_code == fresh.status_code == 200

    def page(response, address):
        text = response.content.decode().replace("%40", "@")
        return re.sub(re.escape(address), "ADDRESS", text, flags=re.IGNORECASE)

    assert page(taken, "owner@acme.test") == page(fresh, "fresh@example.com")
    assert User.objects.filter(email="owner@acme.test").count() == 1
    notice = next(m for m in mail.outbox if m.to == ["owner@acme.test"])
    assert "already has an account" in notice.body
    assert "/confirm-email/" not in notice.body


def test_the_confirmation_email_says_what_the_link_is_for_and_how_to_ignore_it(
    client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "ada@example.com")
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject == "Confirm your e-mail address for Keyward"
    link = re.search(r"\S+/confirm-email/\S+/", message.body).group(0)
    assert link.startswith(settings.SITE_URL + "/confirm-email/")
    assert message.body == (
        "Open this link to confirm ada@example.com for your Keyward account:\n\n"
        f"{link}\n\n"
        "If you did not ask for this, ignore this e-mail; nothing changes without the link."
    )


def test_the_account_exists_email_points_its_owner_to_log_in_or_reset(
    client, owner, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "Owner@Acme.test")
    [message] = mail.outbox
    assert message.to == ["owner@acme.test"]
    assert message.subject == "You already have a Keyward account"
    assert message.body == (
        "Someone tried to create a Keyward account (or move one) to owner@acme.test, "
        "which already has an account.\n\n"
        f"If it was you, log in at {settings.SITE_URL}/login/, "
        f"or reset your password at {settings.SITE_URL}/password-reset/.\n"
        "If it was not you, ignore this e-mail; nothing changed."
    )


def test_confirmation_link_confirms_once(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "ada@example.com")
    path = confirmation_path("ada@example.com")
    response = client.get(path)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert User.objects.get(email="ada@example.com").email_verified
    again = client.get(path)
    assert again.status_code == 400
    assert b"invalid, used or expired" in again.content


def test_a_used_confirmation_link_says_how_to_get_a_new_one(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "ada@example.com")
    path = confirmation_path("ada@example.com")
    client.get(path)
    again = client.get(path)
    assert again.status_code == 400
    assert again.context["error"].message == (
        "This confirmation link is invalid, used or expired; send a new one from your account page."
    )
    assert again.context["error"].message in again.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/confirm-email/MQ/abc-def/",
        "/confirm-email/%00%00/x/",
        "/confirm-email/zz/1-2/",
        "/confirm-email/OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5/abc-def/",  # a 30-digit user id
    ],
)
def test_a_bad_confirmation_link_is_a_clear_400(client, path):
    assert client.get(path).status_code == 400


def test_unconfirmed_account_cannot_see_or_accept_an_invitation(client, invitation):
    user = UserFactory(email="new@example.com", email_verified=False)
    assert list(selectors.invitation_list_for_user(user=user)) == []
    with pytest.raises(DomainError) as caught:
        services.invitation_accept(user=user, invitation=invitation)
    assert caught.value.code == "EMAIL_UNCONFIRMED"
    with pytest.raises(DomainError):
        services.invitation_decline(user=user, invitation=invitation)

    client.force_login(user)
    page = client.get(reverse("accounts:invitation", kwargs={"key": invitation.key})).content.decode()
    assert "Confirm your e-mail address first" in page
    assert "Accept and join" not in page
    response = client.post(reverse("accounts:invitation_accept", kwargs={"key": invitation.key}), follow=True)
    assert "Confirm your e-mail address first" in response.content.decode()
    assert b"Invitations for you" not in client.get(reverse("accounts:home")).content
    api = client.get("/api/v1/invitations/")
    assert api.status_code == 200 and api.json()["count"] == 0
    accept = client.post(f"/api/v1/invitations/{invitation.key}/accept/")
    assert accept.status_code == 403 and accept.json()["code"] == "EMAIL_UNCONFIRMED"
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not Membership.objects.filter(user=user).exists()


def test_after_confirming_the_invitation_shows_and_can_be_accepted(invitation):
    user = UserFactory(email="new@example.com", email_verified=False)
    user = services.email_confirm(user_id=user.pk, token=_token(user))
    assert [i.pk for i in selectors.invitation_list_for_user(user=user)] == [invitation.pk]
    assert services.invitation_accept(user=user, invitation=invitation).role == Role.ADMIN


def _token(user):
    from accounts.confirmation import confirmation_tokens

    return confirmation_tokens.make_token(user)


# ---------------------------------------------------------------- sign-up through an invitation


def invited_signup_url(invitation):
    return reverse("accounts:signup_from_invitation", kwargs={"key": invitation.key})


def test_signup_from_an_invitation_joins_that_workspace_directly(client, invitation):
    workspaces_before = Workspace.objects.count()
    page = client.get(invited_signup_url(invitation))
    assert page.status_code == 200 and b"new@example.com" in page.content
    response = client.post(invited_signup_url(invitation), {"full_name": "New Person", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("accounts:workspace_home", kwargs={"workspace_slug": "acme"})
    user = User.objects.get(email="new@example.com")
    assert user.email_verified
    assert [(m.workspace.slug, m.role) for m in Membership.objects.filter(user=user)] == [
        ("acme", Role.ADMIN)
    ]
    assert Workspace.objects.count() == workspaces_before  # no personal workspace
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.ACCEPTED
    assert client.session["_auth_user_id"] == str(user.pk)


def test_invited_signup_works_when_public_signup_is_off(client, invitation, settings):
    settings.PUBLIC_SIGNUP = False
    response = client.post(invited_signup_url(invitation), {"password": PASSWORD})
    assert response.status_code == 302
    assert Membership.objects.filter(user__email="new@example.com", workspace=invitation.workspace).exists()


def test_invited_signup_refuses_weak_password_and_writes_nothing(client, invitation):
    response = client.post(invited_signup_url(invitation), {"password": "123"})
    assert response.status_code == 400
    assert response.context["form"].errors["password"]
    assert not User.objects.filter(email="new@example.com").exists()
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.PENDING


def test_invited_signup_for_an_address_with_an_account_says_log_in(client, invitation):
    UserFactory(email="new@example.com")
    response = client.post(invited_signup_url(invitation), {"password": PASSWORD})
    assert response.status_code == 409
    assert b"new@example.com already has an account; log in to accept the invitation." in response.content


def test_invited_signup_with_a_closed_invitation_goes_back_to_it(client, invitation):
    invitation.status = InvitationStatus.REVOKED
    invitation.save()
    response = client.post(invited_signup_url(invitation), {"password": PASSWORD})
    assert response.status_code == 302 and not User.objects.filter(email="new@example.com").exists()


def test_invited_signup_odd_input_never_500s(client, invitation):
    for data in [
        {"password": "x" * 100_000},
        {"password": "a\x00b" * 4, "full_name": "\x00"},
        {"full_name": "n" * 500},
    ]:
        assert client.post(invited_signup_url(invitation), data).status_code == 400
    assert client.get("/invitations/not-a-uuid/signup/").status_code == 404


# ---------------------------------------------------------------- invitation-only mode


def test_public_signup_off_refuses_plain_signup(client, settings):
    settings.PUBLIC_SIGNUP = False
    assert client.get(reverse("accounts:signup")).status_code == 403
    response = signup(client, "ada@example.com")
    assert response.status_code == 403 and b"by invitation" in response.content
    assert not User.objects.exists()
    with pytest.raises(DomainError) as caught:
        services.user_signup(email="ada@example.com", password=PASSWORD)
    assert caught.value.code == "SIGNUP_CLOSED"


def test_visitors_are_not_offered_sign_up_when_it_is_closed(client, settings):
    assert b'href="/signup/"' in client.get(reverse("accounts:login")).content
    settings.PUBLIC_SIGNUP = False
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'href="/signup/"' not in page and "created through an invitation" in page


NAME_ON_ONE_LINE = (
    "Your name may not contain line breaks, tabs or other control characters; type it on one line."
)


def test_signup_refuses_a_name_with_a_line_break_next_to_the_name_field(client):
    response = signup(client, "ada@example.com", full_name="Ada\nLovelace")
    assert response.status_code == 400
    assert response.context["form"].errors["full_name"] == [NAME_ON_ONE_LINE]
    assert not User.objects.filter(email="ada@example.com").exists()


def test_invited_signup_refuses_a_name_with_a_line_break_next_to_the_name_field(client, invitation):
    response = client.post(invited_signup_url(invitation), {"password": PASSWORD, "full_name": "Ada\rL"})
    assert response.status_code == 400
    assert response.context["form"].errors["full_name"] == [NAME_ON_ONE_LINE]
    assert not User.objects.filter(email="new@example.com").exists()
