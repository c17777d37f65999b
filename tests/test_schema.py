"""The OpenAPI schema (/api/schema/) and the interactive docs (/api/docs/).

The schema is generated in-test the way `manage.py spectacular --validate
--fail-on-warn` does it, so a view that drf-spectacular cannot describe fails here.
"""

import re

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.views import APIView

from accounts.api import views as accounts_views

ACCOUNTS_OPERATIONS = {
    ("/api/v1/me/", "get"),
    ("/api/v1/workspaces/", "get"),
    ("/api/v1/workspaces/", "post"),
    ("/api/v1/workspaces/{workspace_slug}/", "get"),
    ("/api/v1/workspaces/{workspace_slug}/", "patch"),
    ("/api/v1/workspaces/{workspace_slug}/", "delete"),
    ("/api/v1/workspaces/{workspace_slug}/leave/", "post"),
    ("/api/v1/workspaces/{workspace_slug}/members/", "get"),
    ("/api/v1/workspaces/{workspace_slug}/members/{membership_id}/", "get"),
    ("/api/v1/workspaces/{workspace_slug}/members/{membership_id}/", "patch"),
    ("/api/v1/workspaces/{workspace_slug}/members/{membership_id}/", "delete"),
    ("/api/v1/workspaces/{workspace_slug}/invitations/", "get"),
    ("/api/v1/workspaces/{workspace_slug}/invitations/", "post"),
    ("/api/v1/workspaces/{workspace_slug}/invitations/{invitation_id}/resend/", "post"),
    ("/api/v1/workspaces/{workspace_slug}/invitations/{invitation_id}/revoke/", "post"),
    ("/api/v1/invitations/", "get"),
    ("/api/v1/invitations/{key}/accept/", "post"),
    ("/api/v1/invitations/{key}/decline/", "post"),
}


@pytest.fixture(scope="module")
def generated():
    """(schema, problems): the schema and every warning or error drf-spectacular raised while building it."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    problems = sorted({*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache})
    GENERATOR_STATS.reset()
    return schema, problems


def test_the_whole_schema_generates_without_warnings_or_errors(generated):
    schema, problems = generated
    assert problems == [], "drf-spectacular could not fully describe:\n" + "\n".join(problems)
    validate_schema(schema)  # raises on an invalid OpenAPI 3 document


def test_the_accounts_views_generate_without_warnings(generated):
    _, problems = generated
    view_names = [
        name
        for name, value in vars(accounts_views).items()
        if isinstance(value, type)
        and issubclass(value, APIView)
        and value.__module__ == accounts_views.__name__
    ]
    assert len(view_names) >= 12
    ours = [
        problem
        for problem in problems
        if any(f"[{name}" in problem for name in view_names)
        # An authentication class without a schema extension shows up on every view; the
        # whole-schema test above reports it once, against the app that owns the class.
        and "could not resolve authenticator" not in problem
    ]
    assert ours == []


def test_every_accounts_endpoint_is_described(generated):
    schema, _ = generated
    described = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert ACCOUNTS_OPERATIONS <= described

    for path, method in ACCOUNTS_OPERATIONS:
        operation = schema["paths"][path][method]
        assert operation["summary"], (path, method)
        assert operation["tags"][0] in {"workspaces", "members", "invitations", "me"}
        success = {code for code in operation["responses"] if code.startswith("2")}
        assert len(success) == 1, (path, method)
        for code in {"401", *operation["responses"]} - success:
            assert operation["responses"][code]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }, (path, method, code)


def test_request_and_response_bodies_are_named(generated):
    schema, _ = generated
    paths = schema["paths"]

    def request_ref(path, method):
        return paths[path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]

    def response_ref(path, method, code):
        return paths[path][method]["responses"][code]["content"]["application/json"]["schema"]["$ref"]

    member = "/api/v1/workspaces/{workspace_slug}/members/{membership_id}/"
    assert request_ref(member, "patch").endswith("/PatchedMemberUpdateInputRequest")
    assert response_ref(member, "patch", "200").endswith("/MemberOutput")
    members = "/api/v1/workspaces/{workspace_slug}/members/"
    assert response_ref(members, "get", "200").endswith("/PaginatedMemberOutputList")
    parameters = {p["name"] for p in paths[members]["get"]["parameters"]}
    assert {"role", "search", "page", "page_size", "workspace_slug"} <= parameters
    invitations = "/api/v1/workspaces/{workspace_slug}/invitations/"
    assert {"status", "search"} <= {p["name"] for p in paths[invitations]["get"]["parameters"]}
    assert request_ref(invitations, "post").endswith("/InvitationCreateInputRequest")

    member_schema = schema["components"]["schemas"]["MemberOutput"]["properties"]
    assert {"id", "user", "role", "permissions", "effective_permissions"} <= set(member_schema)
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "message", "fields"}


@pytest.mark.django_db
def test_the_schema_endpoint_serves_openapi_3(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/workspaces/{workspace_slug}/members/" in document["paths"]


@pytest.mark.django_db
def test_the_docs_page_renders_and_loads_every_asset_locally(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="swagger-ui"' in html

    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    assert any(asset.endswith(".css") for asset in assets)
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not served by this installation"
        assert not asset.startswith("//"), f"{asset} is not served by this installation"
        asset_response = client.get(asset)
        assert asset_response.status_code == 200, asset
        asset_response.close()
    for cdn in ("cdn.", "unpkg.com", "jsdelivr", "cdnjs", "googleapis"):
        assert cdn not in html


def test_the_schema_declares_what_issue_and_the_token_client_endpoints_really_do():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    issued = schema["paths"]["/api/v1/staff/licenses/issue/"]["post"]["responses"]["201"]
    ref = issued["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][ref]["properties"]["licenses"]["type"] == "array"
    for path, method in [("/api/v1/client/activate", "post"), ("/api/v1/client/info", "get")]:
        assert schema["paths"][path][method]["security"] == [{"authToken": []}], path
