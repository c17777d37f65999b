"""API: /api/v1/me/, /api/v1/workspaces/ and one workspace (read, rename, delete, leave)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Membership, Role, Workspace
from tests.factories import MembershipFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def url(name, **kwargs):
    return reverse(f"accounts_api:{name}", kwargs=kwargs)


def acme(name="workspace-detail", **kwargs):
    return url(name, workspace_slug="acme", **kwargs)


def db_state():
    return (
        list(Workspace.objects.order_by("pk").values_list("pk", "name", "slug")),
        list(Membership.objects.order_by("pk").values_list("pk", "workspace_id", "user_id", "role")),
    )


@pytest.fixture
def manager(workspace, make_member):
    """A plain member who was given manage_members."""
    return make_member(workspace, Role.MEMBER, email="manager@acme.test", manage_members=True)


def count_queries(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert call().status_code == 200
    return len(queries)


# ------------------------------------------------------------ authentication


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/me/",
        "/api/v1/workspaces/",
        "/api/v1/workspaces/acme/",
        "/api/v1/workspaces/acme/members/",
        "/api/v1/workspaces/acme/invitations/",
        "/api/v1/invitations/",
    ],
)
def test_anonymous_callers_are_refused_with_a_json_error(api_client, owner, path):
    response = api_client.get(path)
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "NOT_AUTHENTICATED"


def test_session_authentication_works_and_enforces_csrf(owner, password):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(email="owner@acme.test", password=password)
    assert client.get(url("me")).json()["user"]["email"] == "owner@acme.test"

    response = client.post(url("workspace-list"), {"name": "Sneaky"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]
    assert not Workspace.objects.filter(name="Sneaky").exists()


# ------------------------------------------------------------ me


def test_me_returns_the_user_and_every_membership(client_for, owner, other_workspace):
    MembershipFactory(user=owner.user, workspace=other_workspace, role=Role.MEMBER, view_usage=True)

    data = client_for(owner).get(url("me")).json()

    assert data["user"]["email"] == "owner@acme.test"
    assert set(data["user"]) == {"id", "email", "full_name", "is_staff", "date_joined"}
    memberships = {m["slug"]: m for m in data["memberships"]}
    assert memberships["acme"]["role"] == "owner"
    assert all(memberships["acme"]["effective_permissions"].values())
    assert memberships["globex"]["role"] == "member"
    assert memberships["globex"]["effective_permissions"] == {
        "manage_members": False,
        "manage_licenses": False,
        "manage_ci_tokens": False,
        "manage_parameters": False,
        "view_usage": True,
    }


def test_me_runs_a_constant_number_of_queries(client_for, owner, django_assert_max_num_queries):
    client = client_for(owner)
    few = count_queries(lambda: client.get(url("me")))
    for _ in range(15):
        MembershipFactory(user=owner.user)
    with django_assert_max_num_queries(few):
        assert len(client.get(url("me")).json()["memberships"]) == 16


# ------------------------------------------------------------ list and create


def test_workspace_list_shows_only_my_workspaces_with_my_role(client_for, member, outsider):
    data = client_for(member).get(url("workspace-list")).json()
    assert data["count"] == 1
    assert data["results"][0]["slug"] == "acme"
    assert data["results"][0]["role"] == "member"
    assert data["results"][0]["name"] == "Acme"

    outsider_slugs = [w["slug"] for w in client_for(outsider).get(url("workspace-list")).json()["results"]]
    assert outsider_slugs == ["globex"]


def test_workspace_list_is_paginated(client_for, owner):
    for index in range(5):
        MembershipFactory(user=owner.user, workspace=WorkspaceFactory(name=f"Zeta {index}"))

    data = client_for(owner).get(url("workspace-list"), {"page_size": 2, "page": 3}).json()

    assert data["count"] == 6
    assert [w["name"] for w in data["results"]] == ["Zeta 3", "Zeta 4"]
    assert data["next"] is None and data["previous"]


def test_workspace_list_runs_a_constant_number_of_queries(client_for, owner, django_assert_max_num_queries):
    client = client_for(owner)
    few = count_queries(lambda: client.get(url("workspace-list")))
    for _ in range(20):
        MembershipFactory(user=owner.user)
    with django_assert_max_num_queries(few):
        assert client.get(url("workspace-list")).json()["count"] == 21


def test_any_user_creates_a_workspace_and_becomes_its_owner(client_for, member):
    response = client_for(member).post(url("workspace-list"), {"name": "Initech"}, format="json")

    assert response.status_code == 201
    assert response.json()["slug"] == "initech"
    assert response.json()["role"] == "owner"
    created = Workspace.objects.get(slug="initech")
    assert created.memberships.get().user == member.user
    assert created.memberships.get().role == Role.OWNER


def test_workspace_create_takes_an_explicit_slug(client_for, member):
    response = client_for(member).post(
        url("workspace-list"), {"name": "Initech", "slug": "ini"}, format="json"
    )
    assert response.status_code == 201
    assert Workspace.objects.filter(slug="ini", name="Initech").exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Fine", "slug": "not a slug!"}, "slug"),
        ({"name": "Fine", "slug": "admin"}, "slug"),
        ({"name": "Fine", "slug": "acme"}, "slug"),
    ],
)
def test_workspace_create_rejects_bad_input_naming_the_field(client_for, member, payload, field):
    before = db_state()

    response = client_for(member).post(url("workspace-list"), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert response.json()["message"]
    assert db_state() == before


# ------------------------------------------------------------ one workspace


@pytest.mark.parametrize("caller, role", [("owner", "owner"), ("admin", "admin"), ("member", "member")])
def test_every_member_reads_the_workspace_with_their_role(request, client_for, caller, role):
    response = client_for(request.getfixturevalue(caller)).get(acme())
    assert response.status_code == 200
    assert response.json()["role"] == role
    assert response.json()["name"] == "Acme"


def test_a_non_member_gets_the_same_404_as_for_a_missing_workspace(client_for, owner, outsider):
    hidden = client_for(outsider).get(acme())
    missing = client_for(outsider).get(url("workspace-detail", workspace_slug="no-such-workspace"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert hidden.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "caller, status", [("owner", 200), ("admin", 200), ("manager", 403), ("member", 403), ("outsider", 404)]
)
def test_rename_is_for_owners_and_admins(request, client_for, owner, caller, status):
    response = client_for(request.getfixturevalue(caller)).patch(acme(), {"name": "Acme Corp"}, format="json")

    assert response.status_code == status
    renamed = Workspace.objects.get(slug="acme").name == "Acme Corp"
    assert renamed is (status == 200)
    if status == 200:
        assert response.json()["name"] == "Acme Corp"
        assert response.json()["slug"] == "acme"


@pytest.mark.parametrize("payload", [{}, {"name": ""}, {"name": "  "}, {"name": "y" * 101}])
def test_rename_rejects_bad_input_naming_the_field(client_for, owner, payload):
    before = db_state()
    response = client_for(owner).patch(acme(), payload, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["fields"]
    assert db_state() == before


@pytest.mark.parametrize(
    "caller, status, code",
    [
        ("admin", 403, "OWNER_REQUIRED"),
        ("manager", 403, "OWNER_REQUIRED"),
        ("member", 403, "OWNER_REQUIRED"),
        ("outsider", 404, "NOT_FOUND"),
    ],
)
def test_only_owners_delete_a_workspace(request, client_for, owner, caller, status, code):
    response = client_for(request.getfixturevalue(caller)).delete(
        acme(), {"confirm_name": "Acme"}, format="json"
    )
    assert response.status_code == status
    assert response.json()["code"] == code
    assert Workspace.objects.filter(slug="acme").exists()


def test_an_owner_deletes_the_workspace_after_typing_its_name(client_for, owner, member):
    response = client_for(owner).delete(acme(), {"confirm_name": "Acme"}, format="json")
    assert response.status_code == 204
    assert not Workspace.objects.filter(slug="acme").exists()
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_workspace_delete_accepts_the_confirmation_as_a_query_parameter(client_for, owner):
    response = client_for(owner).delete(acme() + "?confirm_name=Acme")
    assert response.status_code == 204
    assert not Workspace.objects.filter(slug="acme").exists()


@pytest.mark.parametrize(
    "payload", [{}, {"confirm_name": ""}, {"confirm_name": "acme"}, {"confirm_name": "Acme!"}]
)
def test_workspace_delete_without_the_exact_name_is_refused(client_for, owner, payload):
    before = db_state()
    response = client_for(owner).delete(acme(), payload, format="json")
    assert response.status_code == 400
    assert "confirm_name" in response.json()["fields"]
    assert db_state() == before


# ------------------------------------------------------------ leave


@pytest.mark.parametrize("caller", ["admin", "manager", "member"])
def test_a_member_leaves(request, client_for, owner, caller):
    leaver = request.getfixturevalue(caller)
    response = client_for(leaver).post(acme("workspace-leave"))
    assert response.status_code == 204
    assert not Membership.objects.filter(pk=leaver.pk).exists()


def test_the_last_owner_cannot_leave(client_for, owner, admin):
    before = db_state()
    response = client_for(owner).post(acme("workspace-leave"))
    assert response.status_code == 409
    assert response.json()["code"] == "LAST_OWNER"
    assert db_state() == before


def test_an_owner_leaves_when_another_owner_remains(client_for, owner, make_member, workspace):
    make_member(workspace, Role.OWNER)
    assert client_for(owner).post(acme("workspace-leave")).status_code == 204
    assert not Membership.objects.filter(pk=owner.pk).exists()


def test_a_non_member_cannot_leave(client_for, owner, outsider):
    before = db_state()
    assert client_for(outsider).post(acme("workspace-leave")).status_code == 404
    assert db_state() == before
