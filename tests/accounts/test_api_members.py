"""API: /api/v1/workspaces/<slug>/members/ and one member (read, change role and permissions, remove)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import CAPABILITIES, Membership, Role

pytestmark = pytest.mark.django_db


def members_url(slug="acme"):
    return reverse("accounts_api:member-list", kwargs={"workspace_slug": slug})


def member_url(membership, slug="acme"):
    return reverse(
        "accounts_api:member-detail", kwargs={"workspace_slug": slug, "membership_id": membership.pk}
    )


def memberships_state():
    return list(Membership.objects.order_by("pk").values_list("pk", "workspace_id", "role", *CAPABILITIES))


def reloaded(membership):
    return Membership.objects.get(pk=membership.pk)


@pytest.fixture
def manager(workspace, make_member):
    """A plain member who was given manage_members (and nothing else)."""
    return make_member(workspace, Role.MEMBER, email="manager@acme.test", manage_members=True)


@pytest.fixture
def target(workspace, make_member):
    """The plain member that callers try to change."""
    return make_member(workspace, Role.MEMBER, email="target@acme.test")


CALLERS_WHO_MAY_MANAGE = ["owner", "admin", "manager"]


# ------------------------------------------------------------ list


@pytest.mark.parametrize("caller", ["owner", "admin", "manager", "member"])
def test_every_member_lists_the_members(request, client_for, owner, admin, manager, member, caller):
    response = client_for(request.getfixturevalue(caller)).get(members_url())
    assert response.status_code == 200
    emails = [m["user"]["email"] for m in response.json()["results"]]
    assert emails == ["admin@acme.test", "manager@acme.test", "member@acme.test", "owner@acme.test"]


def test_a_non_member_cannot_list_the_members(client_for, owner, outsider):
    response = client_for(outsider).get(members_url())
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_a_member_is_serialized_with_stored_and_effective_permissions(client_for, owner, manager):
    results = client_for(owner).get(members_url()).json()["results"]
    by_email = {m["user"]["email"]: m for m in results}

    entry = by_email["manager@acme.test"]
    assert set(entry) == {"id", "user", "role", "permissions", "effective_permissions", "created_at"}
    assert entry["id"] == manager.pk
    assert entry["user"] == {
        "id": manager.user.pk,
        "email": "manager@acme.test",
        "full_name": manager.user.full_name,
    }
    assert entry["role"] == "member"
    assert entry["permissions"] == {cap: cap == "manage_members" for cap in CAPABILITIES}
    assert entry["effective_permissions"] == entry["permissions"]

    owner_entry = by_email["owner@acme.test"]
    assert not any(owner_entry["permissions"].values())
    assert all(owner_entry["effective_permissions"].values())


def test_members_filter_by_role_and_search(client_for, owner, admin, manager, member, make_member, workspace):
    make_member(workspace, Role.ADMIN, email="second-admin@acme.test")
    client = client_for(member)

    by_role = client.get(members_url(), {"role": "admin"}).json()["results"]
    assert [m["user"]["email"] for m in by_role] == ["admin@acme.test", "second-admin@acme.test"]

    by_search = client.get(members_url(), {"search": "MANAGER@"}).json()["results"]
    assert [m["user"]["email"] for m in by_search] == ["manager@acme.test"]

    both = client.get(members_url(), {"search": "admin", "role": "member"}).json()
    assert both["count"] == 0


def test_members_search_matches_the_full_name(client_for, owner, member):
    member.user.full_name = "Grace Hopper"
    member.user.save()
    results = client_for(owner).get(members_url(), {"search": "hopp"}).json()["results"]
    assert [m["id"] for m in results] == [member.pk]


def test_members_filter_rejects_an_unknown_role_naming_the_parameter(client_for, owner):
    response = client_for(owner).get(members_url(), {"role": "boss"})
    assert response.status_code == 400
    assert "role" in response.json()["fields"]


def test_members_are_paginated(client_for, owner, make_member, workspace):
    for index in range(6):
        make_member(workspace, email=f"m{index}@acme.test")
    client = client_for(owner)

    second = client.get(members_url(), {"page_size": 3, "page": 2}).json()
    assert second["count"] == 7
    assert [m["user"]["email"] for m in second["results"]] == ["m3@acme.test", "m4@acme.test", "m5@acme.test"]
    assert second["previous"] and second["next"]
    assert client.get(members_url(), {"page": 99}).status_code == 404


def test_default_page_size_is_applied(client_for, owner, make_member, workspace):
    for _ in range(30):
        make_member(workspace)
    data = client_for(owner).get(members_url()).json()
    assert data["count"] == 31
    assert len(data["results"]) == 25


def test_member_list_runs_a_constant_number_of_queries(
    client_for, owner, make_member, workspace, django_assert_max_num_queries
):
    client = client_for(owner)
    with CaptureQueriesContext(connection) as few:
        assert client.get(members_url()).json()["count"] == 1
    for index in range(30):
        make_member(workspace, Role.ADMIN if index % 3 else Role.MEMBER, view_usage=bool(index % 2))
    with django_assert_max_num_queries(len(few)):
        assert len(client.get(members_url(), {"page_size": 100}).json()["results"]) == 31


# ------------------------------------------------------------ read one


@pytest.mark.parametrize("caller", ["owner", "admin", "manager", "member"])
def test_every_member_reads_one_member(request, client_for, owner, target, caller):
    response = client_for(request.getfixturevalue(caller)).get(member_url(target))
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "target@acme.test"


def test_a_non_member_cannot_read_a_member(client_for, target, outsider):
    assert client_for(outsider).get(member_url(target)).status_code == 404


def test_a_member_of_another_workspace_is_not_found_through_this_one(client_for, owner, outsider):
    """Ids are global: asking for another workspace's member under your own slug is a 404."""
    assert client_for(owner).get(member_url(outsider)).status_code == 404
    assert client_for(owner).patch(member_url(outsider), {"role": "admin"}, format="json").status_code == 404
    assert client_for(owner).delete(member_url(outsider)).status_code == 404
    assert reloaded(outsider).role == Role.OWNER


# ------------------------------------------------------------ change the role


@pytest.mark.parametrize(
    "caller, status, code",
    [
        ("owner", 200, None),
        ("admin", 200, None),
        ("manager", 403, "ROLE_TOO_HIGH"),
        ("member", 403, "PERMISSION_DENIED"),
        ("outsider", 404, "NOT_FOUND"),
    ],
)
def test_promoting_a_member_to_admin(request, client_for, owner, target, caller, status, code):
    response = client_for(request.getfixturevalue(caller)).patch(
        member_url(target), {"role": "admin"}, format="json"
    )

    assert response.status_code == status
    if status == 200:
        assert response.json()["role"] == "admin"
        assert all(response.json()["effective_permissions"].values())
        assert reloaded(target).role == Role.ADMIN
    else:
        assert response.json()["code"] == code
        assert reloaded(target).role == Role.MEMBER


@pytest.mark.parametrize(
    "caller, status", [("owner", 200), ("admin", 403), ("manager", 403), ("member", 403), ("outsider", 404)]
)
def test_only_owners_make_owners(request, client_for, owner, target, caller, status):
    response = client_for(request.getfixturevalue(caller)).patch(
        member_url(target), {"role": "owner"}, format="json"
    )
    assert response.status_code == status
    assert (reloaded(target).role == Role.OWNER) is (status == 200)


def test_an_admin_cannot_demote_or_remove_an_owner(client_for, owner, admin):
    client = client_for(admin)
    demote = client.patch(member_url(owner), {"role": "member"}, format="json")
    remove = client.delete(member_url(owner))
    assert demote.status_code == remove.status_code == 403
    assert demote.json()["code"] == remove.json()["code"] == "OWNER_REQUIRED"
    assert reloaded(owner).role == Role.OWNER


def test_the_last_owner_cannot_be_demoted(client_for, owner, admin):
    before = memberships_state()
    response = client_for(owner).patch(member_url(owner), {"role": "admin"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "LAST_OWNER"
    assert memberships_state() == before


def test_an_owner_demotes_another_owner(client_for, owner, make_member, workspace):
    other_owner = make_member(workspace, Role.OWNER)
    response = client_for(owner).patch(member_url(other_owner), {"role": "member"}, format="json")
    assert response.status_code == 200
    assert reloaded(other_owner).role == Role.MEMBER


def test_an_owner_steps_down_once_another_owner_exists(client_for, owner, make_member, workspace):
    make_member(workspace, Role.OWNER)
    assert client_for(owner).patch(member_url(owner), {"role": "admin"}, format="json").status_code == 200
    assert reloaded(owner).role == Role.ADMIN


# ------------------------------------------------------------ change permissions


@pytest.mark.parametrize(
    "caller, status, code",
    [
        ("owner", 200, None),
        ("admin", 200, None),
        ("manager", 403, "CAPABILITY_NOT_HELD"),
        ("member", 403, "PERMISSION_DENIED"),
        ("outsider", 404, "NOT_FOUND"),
    ],
)
def test_granting_a_permission(request, client_for, owner, target, caller, status, code):
    response = client_for(request.getfixturevalue(caller)).patch(
        member_url(target), {"permissions": {"view_usage": True}}, format="json"
    )

    assert response.status_code == status
    assert reloaded(target).view_usage is (status == 200)
    if status == 200:
        assert response.json()["permissions"]["view_usage"] is True
        assert response.json()["effective_permissions"]["view_usage"] is True
    else:
        assert response.json()["code"] == code


def test_a_manager_grants_a_permission_they_hold(client_for, manager, target):
    response = client_for(manager).patch(
        member_url(target), {"permissions": {"manage_members": True}}, format="json"
    )
    assert response.status_code == 200
    assert reloaded(target).manage_members is True


def test_permissions_left_out_stay_as_they_are(client_for, owner, make_member, workspace):
    target = make_member(workspace, view_usage=True, manage_licenses=True)
    response = client_for(owner).patch(
        member_url(target),
        {"permissions": {"manage_licenses": False, "manage_ci_tokens": True}},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["permissions"] == {
        "manage_members": False,
        "manage_licenses": False,
        "manage_ci_tokens": True,
        "manage_parameters": False,
        "view_usage": True,
    }


def test_a_member_without_manage_members_cannot_change_their_own_permissions(client_for, owner, member):
    response = client_for(member).patch(
        member_url(member), {"permissions": {"view_usage": True}}, format="json"
    )
    assert response.status_code == 403
    assert reloaded(member).view_usage is False


def test_role_and_permissions_change_together(client_for, owner, target):
    response = client_for(owner).patch(
        member_url(target), {"role": "admin", "permissions": {"view_usage": True}}, format="json"
    )
    assert response.status_code == 200
    target = reloaded(target)
    assert (target.role, target.view_usage) == (Role.ADMIN, True)


def test_a_refused_role_change_writes_no_permissions_either(client_for, owner, manager, target):
    before = memberships_state()
    response = client_for(manager).patch(
        member_url(target), {"role": "admin", "permissions": {"manage_members": True}}, format="json"
    )
    assert response.status_code == 403
    assert memberships_state() == before


def test_a_refused_permission_sent_with_a_role_writes_nothing(client_for, owner, manager, make_member):
    """The manager may send role=member (their own rank) but not grant view_usage, which they lack."""
    other_manager = make_member(manager.workspace, Role.MEMBER, manage_members=True)
    before = memberships_state()
    response = client_for(manager).patch(
        member_url(other_manager),
        {"role": "member", "permissions": {"manage_members": False, "view_usage": True}},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "CAPABILITY_NOT_HELD"
    assert memberships_state() == before


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"role": "boss"}, "role"),
        ({"role": ""}, "role"),
        ({"role": None}, "role"),
        ({"permissions": {"fly": True}}, "permissions.fly"),
        ({"permissions": {"view_usage": "maybe"}}, "permissions.view_usage"),
        ({"permissions": "all"}, "permissions"),
        ({"role": "admin", "permissions": {"fly": True}}, "permissions.fly"),
    ],
)
def test_bad_member_changes_are_rejected_naming_the_field(client_for, owner, target, payload, field):
    before = memberships_state()
    response = client_for(owner).patch(member_url(target), payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID"
    assert field in response.json()["fields"]
    assert memberships_state() == before


def test_an_empty_change_is_rejected(client_for, owner, target):
    response = client_for(owner).patch(member_url(target), {}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()["message"]


# ------------------------------------------------------------ remove


@pytest.mark.parametrize(
    "caller, status", [("owner", 204), ("admin", 204), ("manager", 204), ("member", 403), ("outsider", 404)]
)
def test_removing_a_member(request, client_for, owner, target, caller, status):
    response = client_for(request.getfixturevalue(caller)).delete(member_url(target))
    assert response.status_code == status
    assert Membership.objects.filter(pk=target.pk).exists() is (status != 204)


def test_a_manager_cannot_remove_an_admin(client_for, admin, manager):
    response = client_for(manager).delete(member_url(admin))
    assert response.status_code == 403
    assert response.json()["code"] == "ROLE_TOO_HIGH"
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_deleting_yourself_means_leaving(client_for, owner, member):
    assert client_for(member).delete(member_url(member)).status_code == 204
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_the_last_owner_cannot_remove_themselves(client_for, owner, admin):
    before = memberships_state()
    response = client_for(owner).delete(member_url(owner))
    assert response.status_code == 409
    assert response.json()["code"] == "LAST_OWNER"
    assert memberships_state() == before


def test_an_owner_removes_another_owner(client_for, owner, make_member, workspace):
    other_owner = make_member(workspace, Role.OWNER)
    assert client_for(owner).delete(member_url(other_owner)).status_code == 204
    assert not Membership.objects.filter(pk=other_owner.pk).exists()
