"""A developer token acts in its own workspace only: creating workspaces and reading or answering
other workspaces' invitations answer 403 TOKEN_SCOPE with a token, and keep working in a session."""

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Invitation, InvitationStatus, Membership, Workspace
from authtokens.services import developer_token_rotate

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(other_workspace, outsider, member):
    """Globex invites Acme's member: the member's Acme token must not see or answer it."""
    return services.membership_invite(actor=outsider, email=member.user.email)


@pytest.fixture
def token_client(member):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {developer_token_rotate(actor=member).plaintext}")
    return client


def assert_token_scope(response):
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "TOKEN_SCOPE"
    assert "dashboard" in response.json()["message"]


def test_a_token_cannot_create_a_workspace(token_client):
    before = Workspace.objects.count()
    assert_token_scope(token_client.post("/api/v1/workspaces/", {"name": "Shadow"}, format="json"))
    assert Workspace.objects.count() == before


def test_a_token_cannot_list_other_workspaces_invitations(token_client, invitation):
    response = token_client.get("/api/v1/invitations/")
    assert_token_scope(response)
    assert str(invitation.key) not in response.content.decode()


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_a_token_cannot_answer_an_invitation(token_client, invitation, member, action):
    assert_token_scope(token_client.post(f"/api/v1/invitations/{invitation.key}/{action}/"))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not Membership.objects.filter(user=member.user, workspace=invitation.workspace).exists()


def test_a_session_keeps_all_of_them(client_for, member, invitation):
    client = client_for(member)
    assert client.get("/api/v1/invitations/").json()["results"][0]["key"] == str(invitation.key)
    assert client.post(f"/api/v1/invitations/{invitation.key}/accept/").status_code == 201
    assert client.post("/api/v1/workspaces/", {"name": "Own"}, format="json").status_code == 201
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.ACCEPTED


def test_a_token_still_works_in_its_own_workspace(token_client):
    assert token_client.get("/api/v1/workspaces/acme/members/").status_code == 200
    assert token_client.get("/api/v1/workspaces/").status_code == 200
