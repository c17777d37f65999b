"""The account page: name, e-mail change confirmed by a link to the new address, password change
that ends other sessions, and the list of your workspaces."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Role, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(owner, other_workspace, make_member):
    from tests.factories import MembershipFactory

    MembershipFactory(user=owner.user, workspace=other_workspace, role=Role.MEMBER)
    return owner.user


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_account_page_lists_workspaces_with_roles(me):
    page = logged_in(me).get("/account/").content.decode()
    assert "Your account" in page and "owner@acme.test" in page
    table = page[page.index('data-testid="my-workspaces"') :]
    assert "Acme" in table and "Globex" in table and "badge-owner" in table and "badge-member" in table


def test_account_page_needs_login(client):
    assert client.get("/account/").status_code == 302


def test_change_name(me):
    client = logged_in(me)
    assert client.post("/account/profile/", {"full_name": "  Ada  "}).status_code == 302
    me.refresh_from_db()
    assert me.full_name == "Ada"
    assert client.post("/account/profile/", {"full_name": "x" * 151}).status_code == 400


def test_change_email_waits_for_the_link_to_the_new_address(me, django_capture_on_commit_callbacks):
    client = logged_in(me)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/email/", {"email": "New@Example.com"}, follow=True)
    assert "We sent a link to New@Example.com" in response.content.decode()
    me.refresh_from_db()
    assert (me.email, me.pending_email) == ("owner@acme.test", "new@example.com")
    link = re.search(r"https?://[^/\s]+(/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    assert mail.outbox[-1].to == ["new@example.com"]
    assert client.get(link).status_code == 302
    me.refresh_from_db()
    assert (me.email, me.pending_email, me.email_verified) == ("new@example.com", "", True)
    assert client.get(link).status_code == 400  # used


def test_change_to_a_taken_address_says_the_same_and_notifies_that_address(
    me, member, django_capture_on_commit_callbacks
):
    client = logged_in(me)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/email/", {"email": "member@acme.test"}, follow=True)
    assert "We sent a link to member@acme.test" in response.content.decode()
    me.refresh_from_db()
    assert me.email == "owner@acme.test" and me.pending_email == ""
    assert mail.outbox[-1].to == ["member@acme.test"] and "/confirm-email/" not in mail.outbox[-1].body


@pytest.mark.parametrize("email", ["", "nope", "a\x00b@example.com", "x" * 300 + "@example.com"])
def test_bad_new_address_is_a_400_naming_the_field(me, email):
    response = logged_in(me).post("/account/email/", {"email": email})
    assert response.status_code == 400
    assert response.context["email_form"].errors["email"]


def test_password_change_keeps_this_session_and_ends_the_others(me):
    here, elsewhere = Client(), Client()
    assert here.login(username="owner@acme.test", password=PASSWORD)
    assert elsewhere.login(username="owner@acme.test", password=PASSWORD)
    response = here.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-unusual-pass",
            "new_password2": "a-new-unusual-pass",
        },
    )
    assert response.status_code == 302
    assert here.get("/account/").status_code == 200
    assert elsewhere.get("/account/").status_code == 302  # logged out
    assert User.objects.get(pk=me.pk).check_password("a-new-unusual-pass")


def test_password_change_with_wrong_old_password_writes_nothing(me):
    response = logged_in(me).post(
        "/account/password/",
        {
            "old_password": "wrong",
            "new_password1": "a-new-unusual-pass",
            "new_password2": "a-new-unusual-pass",
        },
    )
    assert response.status_code == 400 and response.context["password_form"].errors["old_password"]
    assert User.objects.get(pk=me.pk).check_password(PASSWORD)


def test_an_unconfirmed_account_can_ask_for_the_link_again(django_capture_on_commit_callbacks):
    user = UserFactory(email="late@example.com", email_verified=False)
    client = logged_in(user)
    assert b"Not confirmed" in client.get("/account/").content
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/email/resend/")
    assert mail.outbox[-1].to == ["late@example.com"] and "/confirm-email/" in mail.outbox[-1].body


CONTROL_CHARACTERS_IN_NAME = (
    "Your name may not contain line breaks, tabs or other control characters; type it on one line."
)


def test_a_name_with_a_tab_is_refused_next_to_the_name_field(me):
    response = logged_in(me).post("/account/profile/", {"full_name": "Ada\tLovelace"})
    assert response.status_code == 400
    assert response.context["profile_form"].errors["full_name"] == [CONTROL_CHARACTERS_IN_NAME]
    me.refresh_from_db()
    assert me.full_name != "Ada\tLovelace"


def test_clearing_your_name_leaves_it_empty(me):
    me.full_name = "Ada"
    me.save()
    assert logged_in(me).post("/account/profile/", {"full_name": ""}).status_code == 302
    me.refresh_from_db()
    assert me.full_name == ""


def test_changing_to_your_own_address_says_it_already_is_yours(me, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(me).post("/account/email/", {"email": "Owner@Acme.test"})
    assert response.status_code == 400
    assert response.context["email_form"].errors["email"] == ["That is already your e-mail address."]
    assert mail.outbox == []


def test_a_link_to_an_address_taken_meanwhile_says_so_and_keeps_the_old_one(
    me, django_capture_on_commit_callbacks
):
    client = logged_in(me)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/email/", {"email": "new@example.com"})
    link = re.search(r"https?://[^/\s]+(/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    UserFactory(email="New@Example.com")
    response = client.get(link)
    assert response.status_code == 400
    assert (
        "new@example.com now belongs to another account; choose another address." in response.content.decode()
    )
    me.refresh_from_db()
    assert (me.email, me.pending_email) == ("owner@acme.test", "new@example.com")


def test_asking_for_the_link_again_once_confirmed_says_it_is_confirmed(
    me, django_capture_on_commit_callbacks
):
    assert me.email_verified and not me.pending_email
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(me).post("/account/email/resend/", follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Your e-mail address is already confirmed."]
    assert mail.outbox == []
