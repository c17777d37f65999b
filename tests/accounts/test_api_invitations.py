"""API: a workspace's invitations (list, invite, resend, revoke) and the invitee's side."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, InvitationStatus, Membership, Role
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def invitations_url(slug="acme"):
    return reverse("accounts_api:invitation-list", kwargs={"workspace_slug": slug})


def action_url(action, invitation, slug="acme"):
    return reverse(
        f"accounts_api:invitation-{action}", kwargs={"workspace_slug": slug, "invitation_id": invitation.pk}
    )


def my_url(action, invitation):
    return reverse(f"accounts_api:my-invitation-{action}", kwargs={"key": invitation.key})


def db_state():
    return (
        list(Invitation.objects.order_by("pk").values_list("pk", "email", "role", "status", "expires_at")),
        list(Membership.objects.order_by("pk").values_list("pk", "workspace_id", "user_id", "role")),
    )


@pytest.fixture
def manager(workspace, make_member):
    """A plain member who was given manage_members."""
    return make_member(workspace, Role.MEMBER, email="manager@acme.test", manage_members=True)


@pytest.fixture
def invitation(workspace, owner):
    return InvitationFactory(workspace=workspace, email="newcomer@example.com", invited_by=owner.user)


@pytest.fixture
def newcomer(db):
    return UserFactory(email="newcomer@example.com")


# ------------------------------------------------------------ list


@pytest.mark.parametrize(
    "caller, status", [("owner", 200), ("admin", 200), ("manager", 200), ("member", 403), ("outsider", 404)]
)
def test_listing_invitations_needs_manage_members(request, client_for, invitation, caller, status):
    response = client_for(request.getfixturevalue(caller)).get(invitations_url())
    assert response.status_code == status
    if status == 200:
        [entry] = response.json()["results"]
        assert entry["email"] == "newcomer@example.com"
        assert entry["invited_by"]["email"] == "owner@acme.test"
        assert entry["status"] == "pending"
        assert entry["is_expired"] is False
        assert "key" not in entry  # the link is for the invitee only


def test_a_member_refused_the_invitations_is_told_which_permission_it_takes(client_for, member, invitation):
    response = client_for(member).get(invitations_url())

    assert response.status_code == 403
    assert response.json()["message"] == (
        "You need the “manage members” permission to see invitations; ask a workspace admin."
    )


def test_invitations_filter_by_status_and_search(client_for, owner, workspace, invitation):
    InvitationFactory(workspace=workspace, email="gone@example.com", status=InvitationStatus.REVOKED)
    InvitationFactory(workspace=workspace, email="welcome@example.com", status=InvitationStatus.ACCEPTED)
    client = client_for(owner)

    assert client.get(invitations_url()).json()["count"] == 3
    pending = client.get(invitations_url(), {"status": "pending"}).json()["results"]
    assert [i["email"] for i in pending] == ["newcomer@example.com"]
    revoked = client.get(invitations_url(), {"status": "revoked"}).json()["results"]
    assert [i["email"] for i in revoked] == ["gone@example.com"]
    searched = client.get(invitations_url(), {"search": "WELCOME"}).json()["results"]
    assert [i["email"] for i in searched] == ["welcome@example.com"]


def test_invitations_filter_rejects_an_unknown_status(client_for, owner):
    response = client_for(owner).get(invitations_url(), {"status": "lost"})
    assert response.status_code == 400
    assert "status" in response.json()["fields"]


def test_invitations_list_is_paginated_and_scoped_to_the_workspace(
    client_for, owner, workspace, other_workspace
):
    for index in range(5):
        InvitationFactory(workspace=workspace, email=f"i{index}@example.com")
    InvitationFactory(workspace=other_workspace, email="elsewhere@example.com")

    data = client_for(owner).get(invitations_url(), {"page_size": 2}).json()

    assert data["count"] == 5
    assert len(data["results"]) == 2 and data["next"]
    everything = client_for(owner).get(invitations_url(), {"page_size": 100}).json()["results"]
    assert "elsewhere@example.com" not in [i["email"] for i in everything]


def test_invitations_list_runs_a_constant_number_of_queries(
    client_for, owner, workspace, django_assert_max_num_queries
):
    client = client_for(owner)
    InvitationFactory(workspace=workspace, invited_by=owner.user)
    with CaptureQueriesContext(connection) as few:
        assert client.get(invitations_url()).status_code == 200
    for _ in range(30):
        InvitationFactory(workspace=workspace, invited_by=UserFactory())
    with django_assert_max_num_queries(len(few)):
        assert client.get(invitations_url(), {"page_size": 100}).json()["count"] == 31


# ------------------------------------------------------------ invite


@pytest.mark.parametrize(
    "caller, status", [("owner", 201), ("admin", 201), ("manager", 201), ("member", 403), ("outsider", 404)]
)
def test_inviting_needs_manage_members(
    request, client_for, owner, caller, status, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(request.getfixturevalue(caller)).post(
            invitations_url(), {"email": "Fresh@Example.com"}, format="json"
        )

    assert response.status_code == status
    created = Invitation.objects.filter(email="fresh@example.com")
    if status == 201:
        assert response.json()["email"] == "fresh@example.com"
        assert response.json()["role"] == "member"
        assert created.get().workspace.slug == "acme"
        assert [m.to for m in mail.outbox] == [["fresh@example.com"]]
    else:
        assert not created.exists()
        assert mail.outbox == []


@pytest.mark.parametrize(
    "caller, role, status, code",
    [
        ("owner", "owner", 201, None),
        ("owner", "admin", 201, None),
        ("admin", "admin", 201, None),
        ("admin", "owner", 403, "OWNER_REQUIRED"),
        ("manager", "admin", 403, "ROLE_TOO_HIGH"),
    ],
)
def test_the_invited_role_is_limited_by_the_inviter(request, client_for, owner, caller, role, status, code):
    response = client_for(request.getfixturevalue(caller)).post(
        invitations_url(), {"email": "fresh@example.com", "role": role}, format="json"
    )
    assert response.status_code == status
    assert Invitation.objects.filter(email="fresh@example.com", role=role).exists() is (status == 201)
    if code:
        assert response.json()["code"] == code


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "email"),
        ({"email": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "member@acme.test"}, "email"),  # already a member
        ({"email": "newcomer@example.com"}, "email"),  # already invited
        ({"email": "fresh@example.com", "role": "boss"}, "role"),
    ],
)
def test_bad_invitations_are_rejected_naming_the_field(client_for, owner, member, invitation, payload, field):
    before = db_state()
    response = client_for(owner).post(invitations_url(), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert db_state() == before
    assert mail.outbox == []


# ------------------------------------------------------------ resend and revoke


@pytest.mark.parametrize(
    "caller, status", [("owner", 200), ("admin", 200), ("manager", 200), ("member", 403), ("outsider", 404)]
)
def test_resending_needs_manage_members(
    request, client_for, invitation, caller, status, django_capture_on_commit_callbacks
):
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() + timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(request.getfixturevalue(caller)).post(action_url("resend", invitation))

    assert response.status_code == status
    expires_at = Invitation.objects.get(pk=invitation.pk).expires_at
    restarted = expires_at > timezone.now() + timedelta(days=6)
    assert restarted is (status == 200)
    assert len(mail.outbox) == (1 if status == 200 else 0)


@pytest.mark.parametrize(
    "caller, status", [("owner", 200), ("admin", 200), ("manager", 200), ("member", 403), ("outsider", 404)]
)
def test_revoking_needs_manage_members(request, client_for, invitation, caller, status):
    response = client_for(request.getfixturevalue(caller)).post(action_url("revoke", invitation))
    assert response.status_code == status
    revoked = Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.REVOKED
    assert revoked is (status == 200)
    if status == 200:
        assert response.json()["status"] == "revoked"


@pytest.mark.parametrize("action", ["resend", "revoke"])
def test_a_closed_invitation_cannot_be_resent_or_revoked(client_for, owner, invitation, action):
    Invitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.DECLINED)
    before = db_state()
    response = client_for(owner).post(action_url(action, invitation))
    assert response.status_code == 409
    assert response.json()["code"] == "INVITATION_CLOSED"
    assert db_state() == before


@pytest.mark.parametrize("action", ["resend", "revoke"])
def test_another_workspaces_invitation_is_not_found(client_for, owner, outsider, other_workspace, action):
    foreign = InvitationFactory(workspace=other_workspace)
    before = db_state()
    assert client_for(owner).post(action_url(action, foreign)).status_code == 404
    assert client_for(owner).post(action_url(action, foreign, slug="globex")).status_code == 404
    assert db_state() == before


# ------------------------------------------------------------ the invitee's side


def test_my_invitations_lists_open_invitations_to_my_address(
    client_for, invitation, newcomer, other_workspace
):
    InvitationFactory(workspace=other_workspace, email="NEWCOMER@example.com", expires_at=timezone.now())
    InvitationFactory(
        workspace=other_workspace, email="newcomer@example.com", status=InvitationStatus.REVOKED
    )
    InvitationFactory(workspace=other_workspace, email="someone-else@example.com")

    data = client_for(newcomer).get(reverse("accounts_api:my-invitation-list")).json()

    assert data["count"] == 1
    [entry] = data["results"]
    assert entry["key"] == str(invitation.key)
    assert entry["workspace"] == {"slug": "acme", "name": "Acme"}
    assert entry["invited_by"]["email"] == "owner@acme.test"


def test_my_invitations_runs_a_constant_number_of_queries(
    client_for, newcomer, django_assert_max_num_queries
):
    client = client_for(newcomer)
    InvitationFactory(email="newcomer@example.com", invited_by=UserFactory())
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("accounts_api:my-invitation-list")).status_code == 200
    for _ in range(20):
        InvitationFactory(email="newcomer@example.com", invited_by=UserFactory())
    with django_assert_max_num_queries(len(few)):
        assert client.get(reverse("accounts_api:my-invitation-list")).json()["count"] == 21


def test_the_invitee_accepts_and_joins_with_the_invited_role(client_for, workspace, owner, newcomer):
    invitation = InvitationFactory(workspace=workspace, email="newcomer@example.com", role=Role.ADMIN)

    response = client_for(newcomer).post(my_url("accept", invitation))

    assert response.status_code == 201
    assert response.json()["slug"] == "acme"
    assert response.json()["role"] == "admin"
    assert Membership.objects.get(user=newcomer, workspace=workspace).role == Role.ADMIN
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.ACCEPTED


def test_the_invitee_declines(client_for, invitation, newcomer):
    response = client_for(newcomer).post(my_url("decline", invitation))
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.DECLINED
    assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_someone_logged_in_with_another_address_is_refused(client_for, invitation, member, action):
    before = db_state()
    response = client_for(member).post(my_url(action, invitation))
    assert response.status_code == 403
    assert response.json()["code"] == "INVITATION_EMAIL_MISMATCH"
    assert "newcomer@example.com" not in response.json()["message"]
    assert db_state() == before


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_a_used_or_expired_invitation_cannot_be_answered(client_for, workspace, newcomer, action):
    used = InvitationFactory(
        workspace=workspace, email="newcomer@example.com", status=InvitationStatus.REVOKED
    )
    expired = InvitationFactory(
        workspace=workspace, email="newcomer@example.com", expires_at=timezone.now() - timedelta(minutes=1)
    )
    before = db_state()
    client = client_for(newcomer)

    assert client.post(my_url(action, used)).json()["code"] == "INVITATION_USED"
    response = client.post(my_url(action, expired))
    assert response.status_code == 409
    assert response.json()["code"] == "INVITATION_EXPIRED"
    assert db_state() == before


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_an_unknown_key_is_not_found(client_for, newcomer, action):
    url = reverse(f"accounts_api:my-invitation-{action}", kwargs={"key": uuid.uuid4()})
    response = client_for(newcomer).post(url)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_an_existing_member_cannot_accept_twice(client_for, workspace, member):
    invitation = InvitationFactory(workspace=workspace, email="member@acme.test")
    before = db_state()
    response = client_for(member).post(my_url("accept", invitation))
    assert response.status_code == 409
    assert response.json()["code"] == "ALREADY_MEMBER"
    assert db_state() == before


def test_an_accepted_invitation_gives_access_to_the_workspace(client_for, invitation, newcomer):
    client = client_for(newcomer)
    assert (
        client.get(reverse("accounts_api:workspace-detail", kwargs={"workspace_slug": "acme"})).status_code
        == 404
    )
    client.post(my_url("accept", invitation))
    response = client.get(reverse("accounts_api:workspace-detail", kwargs={"workspace_slug": "acme"}))
    assert response.status_code == 200
    assert response.json()["role"] == "member"


def test_nobody_sees_invitations_addressed_to_someone_else(client_for, invitation):
    stranger = MembershipFactory()
    assert client_for(stranger).get(reverse("accounts_api:my-invitation-list")).json()["count"] == 0
