"""REST API: Bearer authentication, the permission matrix for both token kinds, and the token endpoints."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from authtokens import services
from authtokens.models import AuthToken, SecurityEvent, TokenKind, TokenUsageDay

pytestmark = pytest.mark.django_db

API = "/api/v1/workspaces"


def dev_url(slug="acme", rest=""):
    return f"{API}/{slug}/auth-tokens/developer/{rest}"


def ci_url(slug="acme", token_id="", rest=""):
    return f"{API}/{slug}/auth-tokens/ci/" + (f"{token_id}/{rest}" if token_id else "")


# ---------------------------------------------------------------- authentication


def test_anonymous_gets_401_with_bearer_challenge(api_client, workspace):
    response = api_client.get(dev_url())
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer kw_dev_nope", "Bearer ", "bearer kw_ci_" + "0" * 36])
def test_bad_bearer_token_gets_401_token_invalid(api_client, workspace, header):
    response = api_client.get(dev_url(), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "TOKEN_INVALID"
    assert "Auth tokens page" in response.json()["message"]


def test_developer_token_acts_as_its_member(member, dev_token, bearer):
    client = bearer(dev_token(member))
    response = client.get(dev_url())
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "developer" and body["masked"].startswith("kw_dev_…")
    assert "token" not in body and "token_hash" not in body
    # The use was counted (one request, one use).
    assert TokenUsageDay.objects.get(token__membership=member).uses == 1
    assert client.get(f"{API}/acme/members/").status_code == 200


def test_developer_token_only_works_in_its_own_workspace(
    member, other_workspace, make_member, dev_token, bearer
):
    # The same user is also a member of Globex: the Acme token must still not reach Globex.
    make_member(other_workspace, Role.OWNER, email="someone@globex.test")
    from accounts.services import _membership_create

    _membership_create(user=member.user, workspace=other_workspace, role=Role.MEMBER)
    client = bearer(dev_token(member))
    assert client.get(dev_url("globex")).status_code == 404
    assert client.get(f"{API}/globex/members/").status_code == 404
    assert client.get(dev_url("acme")).status_code == 200


def test_developer_token_lists_only_its_own_workspace(member, other_workspace, dev_token, bearer, client_for):
    from accounts.services import _membership_create

    _membership_create(user=member.user, workspace=other_workspace, role=Role.MEMBER)
    by_token = bearer(dev_token(member))
    assert [w["slug"] for w in by_token.get("/api/v1/workspaces/").json()["results"]] == ["acme"]
    assert [m["slug"] for m in by_token.get("/api/v1/me/").json()["memberships"]] == ["acme"]
    by_session = client_for(member)
    assert {w["slug"] for w in by_session.get("/api/v1/workspaces/").json()["results"]} == {"acme", "globex"}


def test_developer_token_carries_the_members_role(member, admin, dev_token, bearer):
    as_member = bearer(dev_token(member)).post(ci_url(), {"name": "deploy"}, format="json")
    assert as_member.status_code == 403
    as_admin = bearer(dev_token(admin)).post(ci_url(), {"name": "deploy"}, format="json")
    assert as_admin.status_code == 201


def test_legacy_token_gets_a_deprecation_warning_then_is_refused(admin, member, dev_token, bearer):
    plaintext = dev_token(member)
    token = AuthToken.objects.get(membership=member)
    staff = admin.user
    staff.is_staff = True
    sunset = timezone.now() + timedelta(days=10)
    services.token_mark_legacy(token=token, sunset_at=sunset, staff_user=staff)
    response = bearer(plaintext).get(dev_url())
    assert response.status_code == 200
    assert f"{sunset:%Y-%m-%d}" in response["Warning"] and response["Sunset"]
    AuthToken.objects.filter(pk=token.pk).update(sunset_at=timezone.now() - timedelta(seconds=1))
    refused = bearer(plaintext).get(dev_url())
    assert refused.status_code == 401 and refused.json()["code"] == "LEGACY_TOKEN_SUNSET"


# ---------------------------------------------------------------- CI tokens as callers


@pytest.fixture
def ci_urls(settings):
    settings.ROOT_URLCONF = "tests.authtokens.ci_urls"


def test_ci_token_reaches_only_views_that_allow_it(ci_urls, workspace, ci_token, bearer):
    client = bearer(ci_token("pipeline").plaintext)
    response = client.get(f"/test/workspaces/{workspace.slug}/pipeline/")
    assert response.status_code == 200
    assert response.json() == {"workspace": "acme", "membership": None}
    for url in (dev_url(), ci_url(), f"{API}/acme/members/", f"{API}/acme/security-log/", "/api/v1/me/"):
        refused = client.get(url)
        assert refused.status_code == 403, url
        assert refused.json()["code"] == "CI_TOKEN_NOT_ALLOWED"
        assert "CI tokens" in refused.json()["message"]
    assert client.post(ci_url(), {"name": "x"}, format="json").status_code == 403
    assert AuthToken.objects.filter(kind=TokenKind.CI).count() == 1


def test_ci_token_on_another_workspace_gets_404(ci_urls, outsider, ci_token, bearer):
    client = bearer(ci_token("pipeline").plaintext)
    assert client.get("/test/workspaces/globex/pipeline/").status_code == 404


def test_developer_token_also_reaches_ci_enabled_views_as_member(ci_urls, member, dev_token, bearer):
    response = bearer(dev_token(member)).get("/test/workspaces/acme/pipeline/")
    assert response.json() == {"workspace": "acme", "membership": member.pk}


# ---------------------------------------------------------------- token endpoints


def test_rotate_shows_the_new_value_once(member, client_for):
    client = client_for(member)
    response = client.post(dev_url(rest="rotate/"))
    assert response.status_code == 200
    plaintext = response.json()["token"]
    assert plaintext.startswith("kw_dev_") and response["Cache-Control"] == "no-store"
    assert plaintext not in client.get(dev_url()).content.decode()


def test_ci_token_crud(owner, member, client_for, bearer):
    client = client_for(owner)
    created = client.post(ci_url(), {"name": "deploy", "label": "backend"}, format="json")
    assert created.status_code == 201
    token_id, plaintext = created.json()["id"], created.json()["token"]
    assert created.json()["created_by"] == owner.user.email

    listed = client_for(member).get(ci_url())  # any member may list
    assert listed.status_code == 200
    assert [row["name"] for row in listed.json()["results"]] == ["deploy"]
    assert "token" not in listed.json()["results"][0]

    renamed = client.patch(ci_url(token_id=token_id), {"name": "release"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "release"

    rotated = client.post(ci_url(token_id=token_id, rest="rotate/"))
    assert rotated.status_code == 200 and rotated.json()["token"] != plaintext

    detail = client.get(ci_url(token_id=token_id))
    assert len(detail.json()["daily_usage"]) == 30

    assert client.delete(ci_url(token_id=token_id)).status_code == 204
    assert bearer(rotated.json()["token"]).get(dev_url()).status_code == 401
    assert client.get(ci_url()).json()["count"] == 0
    assert client.get(ci_url() + "?include_revoked=1").json()["results"][0]["status"] == "revoked"


def test_members_without_permission_cannot_manage_ci_tokens(member, ci_token, client_for):
    token_id = ci_token("deploy").token.public_id
    client = client_for(member)
    assert client.post(ci_url(), {"name": "mine"}, format="json").status_code == 403
    assert client.patch(ci_url(token_id=token_id), {"name": "x"}, format="json").status_code == 403
    assert client.post(ci_url(token_id=token_id, rest="rotate/")).status_code == 403
    assert client.post(ci_url(token_id=token_id, rest="revoke/")).status_code == 403
    # The detail is the token's usage: it needs view_usage (issue 8).
    detail = client.get(ci_url(token_id=token_id))
    assert detail.status_code == 403
    assert (
        detail.json()["message"]
        == "You need the “view usage” permission to see token usage; ask a workspace admin."
    )
    assert AuthToken.objects.get(public_id=token_id).name == "deploy"


def test_view_usage_lets_a_member_read_a_ci_tokens_usage(workspace, make_member, ci_token, client_for):
    token_id = ci_token("deploy").token.public_id
    reader = make_member(workspace, email="reader@acme.test", view_usage=True)
    response = client_for(reader).get(ci_url(token_id=token_id))
    assert response.status_code == 200 and len(response.json()["daily_usage"]) == 30


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "label": "y" * 101}, "label"),
        ({"name": "ok", "expires_at": "yesterday"}, "expires_at"),
        ({"name": "ok", "expires_at": "2001-01-01T00:00Z"}, "expires_at"),
    ],
)
def test_create_with_bad_input_names_the_field_and_writes_nothing(owner, client_for, payload, field):
    events_before = SecurityEvent.objects.count()
    response = client_for(owner).post(ci_url(), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not AuthToken.objects.filter(kind=TokenKind.CI).exists()
    assert SecurityEvent.objects.count() == events_before


def test_update_with_bad_input(owner, ci_token, client_for):
    token_id = ci_token("deploy").token.public_id
    client = client_for(owner)
    assert client.patch(ci_url(token_id=token_id), {}, format="json").status_code == 400
    response = client.patch(ci_url(token_id=token_id), {"name": " "}, format="json")
    assert response.status_code == 400 and "name" in response.json()["fields"]
    assert AuthToken.objects.get(public_id=token_id).name == "deploy"


def test_another_workspace_member_gets_404_everywhere(outsider, ci_token, client_for):
    token_id = ci_token("deploy").token.public_id
    client = client_for(outsider)
    for method, url in [
        ("get", dev_url()),
        ("post", dev_url(rest="rotate/")),
        ("get", ci_url()),
        ("post", ci_url()),
        ("get", ci_url(token_id=token_id)),
        ("patch", ci_url(token_id=token_id)),
        ("delete", ci_url(token_id=token_id)),
        ("post", ci_url(token_id=token_id, rest="rotate/")),
        ("post", ci_url(token_id=token_id, rest="revoke/")),
        ("get", f"{API}/acme/security-log/"),
    ]:
        assert getattr(client, method)(url, {"name": "x"}, format="json").status_code == 404, (method, url)
    # Its own workspace's URL with Acme's token id: not found either.
    assert client.get(ci_url("globex", token_id)).status_code == 404
    assert AuthToken.objects.get(public_id=token_id).name == "deploy"


def test_security_log_is_for_admins(
    owner, admin, member, ci_token, client_for, django_assert_max_num_queries
):
    for n in range(5):
        ci_token(f"t{n}")
    refused = client_for(member).get(f"{API}/acme/security-log/")
    assert refused.status_code == 403
    assert refused.json()["message"] == "Only workspace admins and owners can read the security log."
    client = client_for(admin)
    with django_assert_max_num_queries(6):
        response = client.get(f"{API}/acme/security-log/?action=token_created")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["action"] for row in rows} == {"token_created"}
    assert any(row["token_name"] == "t4" and row["actor"] == owner.user.email for row in rows)


def test_ci_token_list_query_count_is_flat(owner, ci_token, client_for, django_assert_max_num_queries):
    for n in range(15):
        services.token_record_use(token=ci_token(f"t{n}").token, ip="192.0.2.1")
    client = client_for(owner)
    with django_assert_max_num_queries(5):
        response = client.get(ci_url())
    assert response.json()["count"] == 15 and response.json()["results"][0]["use_count"] == 1


def test_the_ci_token_list_shows_usage_only_with_view_usage(
    workspace, member, make_member, ci_token, client_for
):
    from authtokens import usage

    issued = ci_token("deploy")
    usage.record(issued.token, "203.0.113.7")
    reader = make_member(workspace, email="reader@acme.test", view_usage=True)

    [hidden] = client_for(member).get(ci_url()).json()["results"]
    [shown] = client_for(reader).get(ci_url()).json()["results"]

    assert (hidden["use_count"], hidden["last_used_at"], hidden["last_used_ip"]) == (None, None, None)
    assert hidden["name"] == "deploy"
    assert shown["use_count"] == 1 and shown["last_used_ip"] == "203.0.113.7"
