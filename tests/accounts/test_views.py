"""Dashboard pages of accounts, through the Django test client."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from accounts.models import Invitation, InvitationStatus, Membership, Role, User, Workspace
from tests.factories import PASSWORD, InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

WORKSPACE_PAGES = ["workspace_home", "members", "workspace_settings", "workspace_leave"]


@pytest.fixture
def web(client):
    """web(membership_or_user) -> the test client logged in as that user."""

    def log_in(who):
        client.force_login(getattr(who, "user", who))
        return client

    return log_in


def url(name, workspace, **kwargs):
    return reverse(f"accounts:{name}", kwargs={"workspace_slug": workspace.slug, **kwargs})


def flashes(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def field_errors(response, form_name, field):
    return response.context[form_name].errors.get(field, [])


# ---------------------------------------------------------------- pages and tenancy


@pytest.mark.parametrize("page", WORKSPACE_PAGES)
@pytest.mark.parametrize("who", ["owner", "admin", "member"])
def test_every_workspace_page_renders_for_members(web, workspace, page, who, request):
    membership = request.getfixturevalue(who)
    response = web(membership).get(url(page, workspace))
    assert response.status_code == 200
    assert workspace.name.encode() in response.content


@pytest.mark.parametrize(
    "name,kwargs",
    [(page, {}) for page in WORKSPACE_PAGES]
    + [("member_remove", {"membership_id": None}), ("member_change_role", {"membership_id": None})],
)
def test_non_members_get_404_on_every_workspace_page(web, workspace, owner, outsider, name, kwargs):
    kwargs = {k: owner.pk for k in kwargs}
    client = web(outsider)
    assert client.get(url(name, workspace, **kwargs)).status_code in (404, 405)
    assert client.post(url(name, workspace, **kwargs), {"role": "member"}).status_code == 404
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


@pytest.mark.parametrize("name", ["workspace_rename", "workspace_delete", "member_invite", "workspace_leave"])
def test_non_members_cannot_post_workspace_actions(web, workspace, owner, outsider, name):
    response = web(outsider).post(
        url(name, workspace), {"name": "Hijacked", "confirm_name": "Acme", "email": "x@y.z"}
    )
    assert response.status_code == 404
    workspace.refresh_from_db()
    assert workspace.name == "Acme"
    assert not Invitation.objects.exists()


def test_a_missing_workspace_is_404_too(web, owner):
    assert web(owner).get("/w/no-such-workspace/").status_code == 404


def test_workspace_pages_need_login(client, workspace):
    response = client.get(url("members", workspace))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_a_member_of_another_workspace_cannot_act_on_its_members_by_id(
    web, workspace, owner, outsider, member
):
    """The membership id in the URL is looked up inside the caller's workspace only."""
    outsider_home = outsider.workspace
    response = web(outsider).post(
        url("member_change_role", outsider_home, membership_id=member.pk), {"role": "admin"}
    )
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.role == Role.MEMBER


# ---------------------------------------------------------------- home, sign-up, login


def test_home_sends_visitors_to_login(client):
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:login")


def test_home_goes_to_the_last_used_workspace(web, workspace, owner, make_member, other_workspace):
    make_member(other_workspace, Role.MEMBER, email=None).delete()
    Membership.objects.create(user=owner.user, workspace=other_workspace, role=Role.MEMBER)
    client = web(owner)
    assert client.get(reverse("accounts:home")).url == url("workspace_home", workspace)  # Acme sorts first
    client.get(url("workspace_home", other_workspace))
    assert client.get(reverse("accounts:home")).url == url("workspace_home", other_workspace)


def test_home_without_workspace_offers_to_create_one_and_lists_invitations(web, workspace):
    lonely = UserFactory(email="lonely@example.com")
    InvitationFactory(workspace=workspace, email="lonely@example.com")
    response = web(lonely).get(reverse("accounts:home"))
    assert response.status_code == 200
    assert b"Create a workspace" in response.content
    assert b"Invitations for you" in response.content
    assert b"Acme" in response.content


@pytest.mark.parametrize(
    "data,field",
    [
        ({"email": "not-an-email", "password": "an-unusual-passphrase"}, "email"),
        ({"email": "new@example.com", "password": "123"}, "password"),
        ({"email": "new@example.com", "password": "password"}, "password"),
    ],
)
def test_signup_bad_input_shows_error_next_to_field_and_writes_nothing(client, owner, data, field):
    users_before = User.objects.count()
    workspaces_before = Workspace.objects.count()
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 400
    assert field_errors(response, "form", field)
    assert f'id="id_{field}-error"'.encode() in response.content
    assert User.objects.count() == users_before
    assert Workspace.objects.count() == workspaces_before


def test_login_with_email_and_logout(client, owner):
    page = client.get(reverse("accounts:login"))
    assert b"E-mail" in page.content
    response = client.post(reverse("accounts:login"), {"username": "OWNER@acme.test", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:home")).status_code == 302
    assert client.get(url("members", owner.workspace)).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(url("members", owner.workspace)).status_code == 302


def test_login_with_wrong_password_says_so(client, owner):
    response = client.post(reverse("accounts:login"), {"username": "owner@acme.test", "password": "nope"})
    assert response.status_code == 200
    assert b"do not match an account" in response.content


def test_password_reset_flow(client, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "owner@acme.test"})
    assert response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = next(line for line in body.splitlines() if "/reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"},
    )
    assert done.url == reverse("accounts:password_reset_complete")
    owner.user.refresh_from_db()
    assert owner.user.check_password("a-brand-new-passphrase")


def test_password_reset_pages_render(client):
    for name in ["password_reset", "password_reset_done", "password_reset_complete"]:
        assert client.get(reverse(f"accounts:{name}")).status_code == 200
    bad = client.get(reverse("accounts:password_reset_confirm", kwargs={"uidb64": "x", "token": "y"}))
    assert b"no longer works" in bad.content


# ---------------------------------------------------------------- workspaces


def test_create_workspace(web, owner):
    response = web(owner).post(reverse("accounts:workspace_create"), {"name": "Skunkworks"})
    workspace = Workspace.objects.get(name="Skunkworks")
    assert response.url == url("workspace_home", workspace)
    assert Membership.objects.get(workspace=workspace).role == Role.OWNER


def test_create_workspace_with_taken_slug_shows_error_next_to_field(web, owner, workspace):
    response = web(owner).post(reverse("accounts:workspace_create"), {"name": "Other", "slug": "acme"})
    assert response.status_code == 400
    assert field_errors(response, "form", "slug") == ["That slug is taken; choose another."]
    assert not Workspace.objects.filter(name="Other").exists()


def test_overview_shows_role_and_counts(web, workspace, owner, member):
    InvitationFactory(workspace=workspace)
    response = web(member).get(url("workspace_home", workspace))
    assert response.context["member_count"] == 2
    # Pending invitations are for members who manage members, on every door (accounts.permissions).
    assert response.context["pending_invitation_count"] == 0
    assert b"You are a member of this workspace" in response.content
    assert web(owner).get(url("workspace_home", workspace)).context["pending_invitation_count"] == 1


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_rename_by_owner_or_admin(web, workspace, who, request):
    client = web(request.getfixturevalue(who))
    response = client.post(url("workspace_rename", workspace), {"name": "Acme Robotics"})
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.name == "Acme Robotics"
    assert "Workspace renamed to “Acme Robotics”." in flashes(client.get(response.url))


def test_rename_refused_for_member_with_message(web, workspace, member):
    response = web(member).post(url("workspace_rename", workspace), {"name": "Mine now"})
    assert response.status_code == 403
    assert b"Only owners and admins can rename the workspace." in response.content
    workspace.refresh_from_db()
    assert workspace.name == "Acme"


def test_rename_to_blank_shows_field_error(web, workspace, owner):
    response = web(owner).post(url("workspace_rename", workspace), {"name": "   "})
    assert response.status_code == 400
    assert field_errors(response, "rename_form", "name")
    workspace.refresh_from_db()
    assert workspace.name == "Acme"


def test_delete_requires_the_exact_name(web, workspace, owner):
    client = web(owner)
    response = client.post(url("workspace_delete", workspace), {"confirm_name": "acme"})
    assert response.status_code == 400
    assert field_errors(response, "delete_form", "confirm_name") == [
        "Type the workspace name “Acme” exactly to confirm."
    ]
    assert Workspace.objects.filter(pk=workspace.pk).exists()
    response = client.post(url("workspace_delete", workspace), {"confirm_name": "Acme"})
    assert response.url == reverse("accounts:home")
    assert not Workspace.objects.filter(pk=workspace.pk).exists()


def test_delete_refused_for_admin(web, workspace, owner, admin):
    response = web(admin).post(url("workspace_delete", workspace), {"confirm_name": "Acme"})
    assert response.status_code == 403
    assert b"Only an owner can delete the workspace." in response.content
    assert Workspace.objects.filter(pk=workspace.pk).exists()


def test_settings_hides_delete_from_non_owners(web, workspace, owner, admin):
    assert b"Delete workspace" in web(owner).get(url("workspace_settings", workspace)).content
    assert b"Delete workspace" not in web(admin).get(url("workspace_settings", workspace)).content


def test_leave_asks_then_leaves(web, workspace, owner, member):
    client = web(member)
    assert b"Leave Acme?" in client.get(url("workspace_leave", workspace)).content
    response = client.post(url("workspace_leave", workspace))
    assert response.url == reverse("accounts:home")
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_last_owner_cannot_leave(web, workspace, owner):
    client = web(owner)
    response = client.post(url("workspace_leave", workspace), follow=True)
    assert Membership.objects.filter(pk=owner.pk).exists()
    assert any("at least one owner" in m for m in flashes(response))
    assert b"at least one owner" in response.content


# ---------------------------------------------------------------- members list


def test_members_page_lists_members_with_roles_and_permissions(web, workspace, owner, member, make_member):
    make_member(workspace, Role.MEMBER, email="ci@acme.test", manage_ci_tokens=True)
    response = web(member).get(url("members", workspace))
    content = response.content.decode()
    assert "Users &amp; licenses" in content
    for email in ["owner@acme.test", "member@acme.test", "ci@acme.test"]:
        assert email in content
    assert "Manage CI tokens" in content
    assert "All, as owner" in content
    assert content.count('data-testid="member-seat"') == 3  # a License cell per member


def test_members_page_hides_controls_from_plain_members(web, workspace, owner, member):
    content = web(member).get(url("members", workspace)).content.decode()
    assert "Invite a member" not in content
    assert "data-autosubmit" not in content
    assert "Remove</a>" not in content


def test_members_page_shows_controls_to_owner(web, workspace, owner, member):
    content = web(owner).get(url("members", workspace)).content.decode()
    assert "Invite a member" in content
    assert "data-autosubmit" not in content  # a role changes only with its Save button
    assert f'aria-label="Save role of {member.user.email}"' in content
    assert url("member_remove", workspace, membership_id=member.pk) in content
    assert 'value="owner"' in content


def test_admin_is_not_offered_owner_role(web, workspace, owner, admin, member):
    content = web(admin).get(url("members", workspace)).content.decode()
    assert '<option value="owner"' not in content


def test_members_search_by_email_or_name(web, workspace, owner, make_member):
    target = make_member(workspace, Role.MEMBER, email="grace@acme.test")
    target.user.full_name = "Grace Hopper"
    target.user.save()
    make_member(workspace, Role.MEMBER, email="linus@acme.test")
    client = web(owner)
    by_name = client.get(url("members", workspace), {"q": "hopper"})
    assert [r.membership.pk for r in by_name.context["rows"]] == [target.pk]
    by_email = client.get(url("members", workspace), {"q": "LINUS@"})
    assert [r.membership.user.email for r in by_email.context["rows"]] == ["linus@acme.test"]
    nothing = client.get(url("members", workspace), {"q": "zzz"})
    assert b"No member matches" in nothing.content


def test_members_are_paginated_by_25(web, workspace, owner, make_member):
    for _ in range(30):
        make_member(workspace)
    client = web(owner)
    first = client.get(url("members", workspace))
    assert len(first.context["rows"]) == 25
    assert b"Page 1 of 2" in first.content
    second = client.get(url("members", workspace), {"page": 2})
    assert len(second.context["rows"]) == 6


def _members_query_count(web, workspace, owner, make_member, count, django_assert_max_num_queries):
    for _ in range(count):
        make_member(workspace, manage_licenses=True)
    InvitationFactory.create_batch(3, workspace=workspace, invited_by=owner.user)
    client = web(owner)
    client.get(url("members", workspace))  # warm the session
    # 14: two more than before: "is the viewer the last owner?" (no Leave button then) and
    # the seats-per-product counts above the table.
    with django_assert_max_num_queries(14) as captured:
        response = client.get(url("members", workspace))
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_members_list_query_count_is_constant(
    web, workspace, owner, make_member, django_assert_max_num_queries
):
    few = _members_query_count(web, workspace, owner, make_member, 3, django_assert_max_num_queries)
    many = _members_query_count(web, workspace, owner, make_member, 27, django_assert_max_num_queries)
    assert Membership.objects.filter(workspace=workspace).count() == 31
    assert few == many


# ---------------------------------------------------------------- invitations from the members page


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_invite_by_owner_or_admin(web, workspace, who, request, django_capture_on_commit_callbacks):
    client = web(request.getfixturevalue(who))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("member_invite", workspace), {"email": "New@Example.com", "role": "member"}
        )
    assert response.url == url("members", workspace)
    invitation = Invitation.objects.get(workspace=workspace)
    assert (invitation.email, invitation.role, invitation.status) == ("new@example.com", "member", "pending")
    assert "Invitation sent to new@example.com." in flashes(client.get(response.url))
    assert mail.outbox[0].to == ["new@example.com"]
    assert str(invitation.key) in mail.outbox[0].body


def test_invite_by_member_with_manage_members(web, workspace, owner, make_member):
    helper = make_member(workspace, Role.MEMBER, manage_members=True)
    response = web(helper).post(url("member_invite", workspace), {"email": "a@example.com", "role": "member"})
    assert response.status_code == 302
    assert Invitation.objects.filter(email="a@example.com").exists()


def test_invite_refused_for_member_without_permission(web, workspace, owner, member):
    response = web(member).post(url("member_invite", workspace), {"email": "a@example.com", "role": "member"})
    assert response.status_code == 403
    assert "You need the “manage members” permission to invite members" in response.content.decode()
    assert not Invitation.objects.exists()


def test_admin_cannot_invite_an_owner(web, workspace, owner, admin):
    response = web(admin).post(url("member_invite", workspace), {"email": "a@example.com", "role": "owner"})
    assert response.status_code == 403
    assert b"Only an owner can make someone an owner." in response.content
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    "data,field",
    [
        ({"email": "not-an-email", "role": "member"}, "email"),
        ({"email": "", "role": "member"}, "email"),
        ({"email": "a@example.com", "role": "emperor"}, "role"),
        ({"email": "member@acme.test", "role": "member"}, "email"),  # already a member
    ],
)
def test_invite_bad_input_shows_error_next_to_field(web, workspace, owner, member, data, field):
    response = web(owner).post(url("member_invite", workspace), data)
    assert response.status_code == 400
    assert field_errors(response, "invite_form", field)
    assert f'id="id_{field}-error"'.encode() in response.content
    assert not Invitation.objects.exists()


def test_invite_twice_says_resend_instead(web, workspace, owner):
    InvitationFactory(workspace=workspace, email="twice@example.com")
    response = web(owner).post(
        url("member_invite", workspace), {"email": "twice@example.com", "role": "member"}
    )
    assert response.status_code == 400
    assert field_errors(response, "invite_form", "email") == [
        "twice@example.com already has a pending invitation; resend it instead."
    ]
    assert Invitation.objects.count() == 1


def test_pending_invitations_are_listed_with_controls_for_managers(web, workspace, owner, member):
    InvitationFactory(workspace=workspace, email="pending@example.com", invited_by=owner.user)
    InvitationFactory(workspace=workspace, email="gone@example.com", status=InvitationStatus.REVOKED)
    owner_page = web(owner).get(url("members", workspace)).content.decode()
    assert "pending@example.com" in owner_page
    assert "gone@example.com" not in owner_page
    assert ">Resend</button>" in owner_page and ">Revoke</button>" in owner_page
    # One rule on both doors: invitations are for members who manage members (the API's 403 too).
    member_page = web(member).get(url("members", workspace)).content.decode()
    assert "pending@example.com" not in member_page and "Pending invitations" not in member_page
    assert ">Resend</button>" not in member_page


def test_resend_restarts_expiry_and_mails_again(web, workspace, owner, django_capture_on_commit_callbacks):
    invitation = InvitationFactory(workspace=workspace, invited_by=owner.user)
    old_expiry = invitation.expires_at
    client = web(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("invitation_resend", workspace, invitation_id=invitation.pk))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.expires_at > old_expiry
    assert len(mail.outbox) == 1
    assert any("sent again" in m for m in flashes(client.get(response.url)))


def test_revoke_invitation(web, workspace, owner):
    invitation = InvitationFactory(workspace=workspace)
    client = web(owner)
    asked = client.post(url("invitation_revoke", workspace, invitation_id=invitation.pk))
    assert asked.status_code == 200 and b"Revoke the invitation to" in asked.content
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    response = client.post(
        url("invitation_revoke", workspace, invitation_id=invitation.pk), {"confirmed": "yes"}
    )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    assert any("revoked" in m for m in flashes(client.get(response.url)))


@pytest.mark.parametrize("action", ["invitation_resend", "invitation_revoke"])
def test_invitation_actions_refused_for_plain_member(web, workspace, owner, member, action):
    invitation = InvitationFactory(workspace=workspace)
    response = web(member).post(url(action, workspace, invitation_id=invitation.pk), follow=True)
    assert "manage members" in " ".join(flashes(response)) or b"manage members" in response.content
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


@pytest.mark.parametrize("action", ["invitation_resend", "invitation_revoke"])
def test_invitation_of_another_workspace_is_404(web, workspace, owner, other_workspace, action):
    foreign = InvitationFactory(workspace=other_workspace)
    response = web(owner).post(url(action, workspace, invitation_id=foreign.pk))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == InvitationStatus.PENDING


def test_actions_return_to_the_page_they_came_from(web, workspace, owner, member):
    back = url("members", workspace) + "?q=member&page=1"
    response = web(owner).post(
        url("member_change_role", workspace, membership_id=member.pk), {"role": "admin", "next": back}
    )
    assert response.url == back
    evil = web(owner).post(
        url("member_change_role", workspace, membership_id=member.pk),
        {"role": "member", "next": "https://evil.example/"},
    )
    assert evil.url == url("members", workspace)


# ---------------------------------------------------------------- roles, permissions, removal


def test_owner_changes_a_role(web, workspace, owner, member):
    client = web(owner)
    response = client.post(url("member_change_role", workspace, membership_id=member.pk), {"role": "admin"})
    member.refresh_from_db()
    assert member.role == Role.ADMIN
    assert "member@acme.test is now an admin." in flashes(client.get(response.url))


def test_admin_cannot_make_an_owner_and_sees_why(web, workspace, owner, admin, member):
    response = web(admin).post(
        url("member_change_role", workspace, membership_id=member.pk), {"role": "owner"}, follow=True
    )
    assert b"Only an owner can make someone an owner." in response.content
    member.refresh_from_db()
    assert member.role == Role.MEMBER


def test_member_cannot_change_roles_and_sees_why(web, workspace, owner, member, make_member):
    other = make_member(workspace)
    response = web(member).post(
        url("member_change_role", workspace, membership_id=other.pk), {"role": "admin"}, follow=True
    )
    assert "manage members" in response.content.decode()
    other.refresh_from_db()
    assert other.role == Role.MEMBER


def test_last_owner_cannot_demote_themselves(web, workspace, owner):
    response = web(owner).post(
        url("member_change_role", workspace, membership_id=owner.pk), {"role": "admin"}, follow=True
    )
    assert b"A workspace needs at least one owner" in response.content
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_bad_role_is_refused_and_nothing_changes(web, workspace, owner, member):
    response = web(owner).post(
        url("member_change_role", workspace, membership_id=member.pk), {"role": "king"}, follow=True
    )
    assert b"Choose one of the roles" in response.content
    member.refresh_from_db()
    assert member.role == Role.MEMBER


def test_owner_toggles_permissions(web, workspace, owner, member):
    client = web(owner)
    response = client.post(
        url("member_permissions", workspace, membership_id=member.pk),
        {"manage_licenses": "on", "view_usage": "on"},
    )
    member.refresh_from_db()
    assert member.capabilities() == {
        "manage_members": False,
        "manage_licenses": True,
        "manage_ci_tokens": False,
        "manage_parameters": False,
        "view_usage": True,
    }
    assert any("Permissions of member@acme.test saved." in m for m in flashes(client.get(response.url)))
    client.post(url("member_permissions", workspace, membership_id=member.pk), {"view_usage": "on"})
    member.refresh_from_db()
    assert (member.manage_licenses, member.view_usage) == (False, True)


def test_member_manager_only_sets_permissions_they_hold(web, workspace, owner, member, make_member):
    """A member with manage_members saves the form: the permissions they lack are left as they are."""
    helper = make_member(workspace, Role.MEMBER, manage_members=True)
    member.view_usage = True
    member.save()
    page = web(helper).get(url("members", workspace)).content.decode()
    assert 'name="view_usage" checked disabled' in page
    web(helper).post(url("member_permissions", workspace, membership_id=member.pk), {"manage_members": "on"})
    member.refresh_from_db()
    assert (member.manage_members, member.view_usage) == (True, True)


def test_member_without_manage_members_cannot_toggle_permissions(web, workspace, owner, member, make_member):
    other = make_member(workspace)
    response = web(member).post(
        url("member_permissions", workspace, membership_id=other.pk), {"manage_licenses": "on"}, follow=True
    )
    assert "manage members" in response.content.decode()
    other.refresh_from_db()
    assert other.manage_licenses is False


def test_member_cannot_grant_themselves_permissions(web, workspace, owner, make_member):
    helper = make_member(workspace, Role.MEMBER, manage_members=True)
    response = web(helper).post(
        url("member_permissions", workspace, membership_id=helper.pk), {"manage_members": "on"}, follow=True
    )
    assert b"You cannot change your own permissions" in response.content


def test_remove_asks_for_confirmation_then_removes(web, workspace, owner, member):
    client = web(owner)
    confirm = client.get(url("member_remove", workspace, membership_id=member.pk))
    assert confirm.status_code == 200
    assert b"member@acme.test" in confirm.content
    assert Membership.objects.filter(pk=member.pk).exists()
    response = client.post(url("member_remove", workspace, membership_id=member.pk))
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert "member@acme.test was removed from Acme." in flashes(client.get(response.url))


def test_admin_cannot_remove_owner_and_sees_why(web, workspace, owner, admin):
    response = web(admin).post(url("member_remove", workspace, membership_id=owner.pk), follow=True)
    assert b"Only an owner can change or remove another owner." in response.content
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_member_cannot_remove_others(web, workspace, owner, member, make_member):
    other = make_member(workspace)
    response = web(member).post(url("member_remove", workspace, membership_id=other.pk), follow=True)
    assert b"manage members" in response.content
    assert Membership.objects.filter(pk=other.pk).exists()


# ---------------------------------------------------------------- answering an invitation


def invitation_url(invitation, action=""):
    name = f"accounts:invitation_{action}" if action else "accounts:invitation"
    return reverse(name, kwargs={"key": invitation.key})


@pytest.fixture
def invitation(workspace, owner):
    return InvitationFactory(
        workspace=workspace, email="new@example.com", role=Role.ADMIN, invited_by=owner.user
    )


def test_invitation_page_for_visitors_offers_login_and_signup(client, invitation):
    content = client.get(invitation_url(invitation)).content.decode()
    assert "Join Acme" in content
    assert "Admin" in content
    assert "owner@acme.test" in content
    assert f"/login/?next=/invitations/{invitation.key}/" in content
    assert f"/invitations/{invitation.key}/signup/" in content
    assert "Accept and join" not in content


def test_unknown_invitation_is_404(client):
    assert client.get("/invitations/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_accept_invitation(web, invitation):
    user = UserFactory(email="new@example.com")
    client = web(user)
    assert b"Accept and join" in client.get(invitation_url(invitation)).content
    response = client.post(invitation_url(invitation, "accept"))
    assert response.url == url("workspace_home", invitation.workspace)
    assert Membership.objects.get(user=user, workspace=invitation.workspace).role == Role.ADMIN
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED


def test_decline_invitation(web, invitation):
    client = web(UserFactory(email="new@example.com"))
    response = client.post(invitation_url(invitation, "decline"))
    assert response.url == reverse("accounts:home")
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED


def test_accept_with_another_email_shows_the_services_message(web, invitation, member):
    client = web(UserFactory(email="someone-else@example.com"))
    page = client.get(invitation_url(invitation)).content.decode()
    assert "but you are logged in as <strong>someone-else@example.com</strong>" in page
    response = client.post(invitation_url(invitation, "accept"), follow=True)
    assert "This invitation is for another e-mail address" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_used_invitation_cannot_be_answered_again(web, invitation):
    invitation.status = InvitationStatus.REVOKED
    invitation.save()
    client = web(UserFactory(email="new@example.com"))
    assert b"can no longer be answered" in client.get(invitation_url(invitation)).content
    response = client.post(invitation_url(invitation, "accept"), follow=True)
    assert b"This invitation was already revoked" in response.content
    assert not Membership.objects.filter(user__email="new@example.com").exists()


def test_accept_while_logged_out_goes_back_to_the_invitation(client, invitation):
    response = client.post(invitation_url(invitation, "accept"))
    assert response.url == invitation_url(invitation)
    assert invitation.workspace.memberships.count() == 1


def test_overview_lists_my_open_invitations(web, invitation, other_workspace, make_member):
    me = make_member(other_workspace, Role.OWNER, email="new@example.com")
    content = web(me).get(url("workspace_home", other_workspace)).content.decode()
    assert "Invitations for you" in content
    assert invitation_url(invitation) in content
