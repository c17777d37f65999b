"""The parameters API: resolved reads with ETag, dotenv, render, writes, versions, and who may do what."""

import io

import pytest
from dotenv import dotenv_values

from parameters.models import Parameter, ParameterVersion

pytestmark = pytest.mark.django_db

API = "/api/v1/workspaces/acme/parameters/"


def test_a_stage_resolves_over_default(owner, client_for, make_param):
    make_param("DB_HOST", "db.default")
    make_param("LOG_LEVEL", "info")
    make_param("DB_HOST", "db.prod", stage="prod")
    make_param("ONLY_DEV", "x", stage="dev")

    prod = client_for(owner).get(API, {"stage": "prod"})
    assert prod.status_code == 200
    assert prod.json() == {"DB_HOST": "db.prod", "LOG_LEVEL": "info"}
    assert client_for(owner).get(API).json() == {"DB_HOST": "db.default", "LOG_LEVEL": "info"}
    assert client_for(owner).get(API, {"stage": "qa"}).json() == {
        "DB_HOST": "db.default",
        "LOG_LEVEL": "info",
    }

    one = client_for(owner).get(f"{API}DB_HOST/", {"stage": "prod"}).json()
    assert (one["value"], one["stage"], one["version"]) == ("db.prod", "prod", 1)
    inherited = client_for(owner).get(f"{API}LOG_LEVEL/", {"stage": "prod"}).json()
    assert (inherited["value"], inherited["stage"]) == ("info", "default")
    assert client_for(owner).get(f"{API}ONLY_DEV/", {"stage": "prod"}).status_code == 404


def test_secret_values_are_decrypted_in_reads_only(owner, client_for, make_param):
    make_param("API_KEY", "s3cr3t-value", secret=True)
    assert client_for(owner).get(API).json() == {"API_KEY": "s3cr3t-value"}
    assert Parameter.objects.get().stored_value != "s3cr3t-value"
    versions = client_for(owner).get(f"{API}API_KEY/versions/").json()
    assert versions[0]["secret"] is True and versions[0]["value"] is None


def test_dotenv_quotes_quotes_newlines_and_dollars_so_a_dotenv_reader_gets_the_values_back(
    owner, client_for, make_param
):
    tricky = {
        "QUOTES": "it's \"quoted\" and 'single'",
        "NEWLINES": "line one\nline two\n",
        "DOLLARS": "$HOME ${HOME} $(rm -rf /) `id` \\$x",
        "HASH_SPACE": "  value # not a comment  ",
        "BACKSLASH": "C:\\path\\'end\\",
        "CR": "windows\r\nline",
        "EMPTY": "",
    }
    for name, value in tricky.items():
        make_param(name, value, secret=name == "DOLLARS")

    response = client_for(owner).get(API, {"format": "dotenv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    parsed = dotenv_values(stream=io.StringIO(response.content.decode()), interpolate=False)
    assert dict(parsed) == tricky

    one = client_for(owner).get(f"{API}QUOTES/", {"format": "dotenv"})
    assert one.content.decode() == "QUOTES='it\\'s \"quoted\" and \\'single\\''\n"


def test_an_unknown_format_is_a_400_naming_format(owner, client_for):
    response = client_for(owner).get(API, {"format": "yaml"})
    assert response.status_code == 400
    assert "format" in response.json()["fields"]


def test_etag_answers_304_until_something_changes(owner, client_for, make_param, ci_client):
    make_param("A", "1")
    client = ci_client()
    first = client.get(API, {"stage": "prod"})
    etag = first["ETag"]
    assert first.status_code == 200 and etag
    assert first["Cache-Control"] == "no-store"

    again = client.get(API, {"stage": "prod"}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and again.content == b""
    assert client.get(API, {"stage": "prod", "format": "dotenv"}, HTTP_IF_NONE_MATCH=etag).status_code == 200

    make_param("A", "2", stage="prod")  # a stage value now hides the default one
    changed = client.get(API, {"stage": "prod"}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed.json() == {"A": "2"} and changed["ETag"] != etag

    one = client.get(f"{API}A/", {"stage": "prod"})
    assert client.get(f"{API}A/", {"stage": "prod"}, HTTP_IF_NONE_MATCH=one["ETag"]).status_code == 304
    client_for(owner).patch(f"{API}A/?stage=prod", {"value": "3"}, format="json")
    assert client.get(f"{API}A/", {"stage": "prod"}, HTTP_IF_NONE_MATCH=one["ETag"]).json()["value"] == "3"


def test_render_replaces_every_placeholder_or_lists_the_missing_names(owner, client_for, make_param):
    make_param("HOST", "db.example")
    make_param("PASSWORD", "pa$$ \\1 word", secret=True, stage="prod")
    template = "postgres://app:${param:PASSWORD}@${param:HOST}/app ${param:HOST}"
    ok = client_for(owner).post(f"{API}render/", {"stage": "prod", "template": template}, format="json")
    assert ok.status_code == 200
    assert ok.json() == {"rendered": "postgres://app:pa$$ \\1 word@db.example/app db.example"}

    missing = client_for(owner).post(
        f"{API}render/", {"stage": "dev", "template": template + " ${param:NOPE}"}, format="json"
    )
    assert missing.status_code == 422
    body = missing.json()
    assert body["code"] == "PARAMETER_MISSING"
    assert "NOPE" in body["message"] and "PASSWORD" in body["message"] and "HOST" not in body["message"]
    assert "template" in body["fields"] and "rendered" not in body


def test_a_parameter_named_render_is_still_readable(owner, client_for, make_param):
    make_param("render", "yes")
    assert client_for(owner).get(f"{API}render/").json()["value"] == "yes"


def test_create_update_versions_restore_and_delete(owner, client_for):
    client = client_for(owner)
    created = client.post(
        API, {"stage": "prod", "name": "app/db.url", "value": "v1", "description": "DSN"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["version"] == 1 and "value" not in created.json()
    url = f"{API}app/db.url/"
    assert client.patch(f"{url}?stage=prod", {"value": "v2"}, format="json").json()["version"] == 2
    assert client.patch(f"{url}?stage=prod", {"secret": True}, format="json").json()["secret"] is True
    history = client.get(f"{url}versions/", {"stage": "prod"}).json()
    assert [(v["version"], v["value"]) for v in history] == [(3, None), (2, "v2"), (1, "v1")]

    restored = client.post(f"{url}versions/1/restore/?stage=prod")
    assert restored.status_code == 200 and restored.json()["version"] == 4
    assert restored.json()["secret"] is False
    assert client.get(url, {"stage": "prod"}).json()["value"] == "v1"
    assert client.post(f"{url}versions/99/restore/?stage=prod").status_code == 404

    assert client.delete(f"{url}?stage=prod").status_code == 204
    assert not Parameter.objects.exists() and not ParameterVersion.objects.exists()
    assert client.delete(f"{url}?stage=prod").status_code == 404


def test_a_name_taken_in_the_stage_is_a_409_naming_the_field(owner, client_for, make_param):
    make_param("A", "1", stage="prod")
    response = client_for(owner).post(API, {"stage": "prod", "name": "A", "value": "2"}, format="json")
    assert response.status_code == 409 and response.json()["fields"].keys() == {"name"}
    assert (
        client_for(owner).post(API, {"stage": "dev", "name": "A", "value": "2"}, format="json").status_code
        == 201
    )


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "has space", "value": "x"}, "name"),
        ({"name": "a" * 129, "value": "x"}, "name"),
        ({"name": "a/../b", "value": "x"}, "name"),
        ({"name": "x/versions", "value": "x"}, "name"),
        ({"name": "A\u0000B", "value": "x"}, "name"),
        ({"name": "A", "value": "x" * 8193}, "value"),
        ({"name": "A", "value": "é" * 4097}, "value"),  # 8194 bytes in UTF-8
        ({"name": "A", "value": "nul\u0000byte"}, "value"),
        ({"name": "A", "value": 12}, "value"),
        ({"name": "A", "value": {"nested": [1]}}, "value"),
        ({"name": "A", "value": "x", "stage": "Prod!"}, "stage"),
        ({"name": "A", "value": "x", "stage": "x" * 33}, "stage"),
        ({"name": "A", "value": "x", "stage": 10**40}, "stage"),
        ({"name": "A", "value": "x", "secret": "maybe"}, "secret"),
        ({"name": "A", "value": "x", "description": "d" * 501}, "description"),
        ({"value": "x"}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(owner, client_for, body, field):
    response = client_for(owner).post(API, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not Parameter.objects.exists()


def test_junk_bodies_and_query_strings_are_4xx_never_500(owner, client_for, make_param):
    make_param("A", "1")
    client = client_for(owner)
    deep = "[" * 100_000 + "]" * 100_000
    assert client.post(API, deep, content_type="application/json").status_code == 400
    assert client.post(f"{API}render/", deep, content_type="application/json").status_code == 400
    assert client.post(API, "[1, 2]", content_type="application/json").status_code == 400
    lone_surrogate = '{"name": "B", "value": "\\ud800", "description": "\\udfff"}'
    assert client.post(API, lone_surrogate, content_type="application/json").status_code == 400
    assert client.get(API, {"stage": "pr\x00od"}).status_code == 400
    assert client.get(API, {"stage": "x" * 10_000}).status_code == 400
    assert client.patch(f"{API}A/", {}, format="json").status_code == 400
    assert client.post(f"{API}A/versions/99999999999999999999/restore/").status_code in (404, 405)
    assert client.post(f"{API}render/", {"template": ["x"]}, format="json").status_code == 400


def test_member_without_manage_parameters_cannot_write_or_read_secrets(member, client_for, make_param):
    make_param("PLAIN", "visible")
    client = client_for(member)
    assert client.get(API).json() == {"PLAIN": "visible"}
    assert client.post(API, {"name": "B", "value": "x"}, format="json").status_code == 403
    assert client.patch(f"{API}PLAIN/", {"value": "y"}, format="json").status_code == 403
    assert client.delete(f"{API}PLAIN/").status_code == 403
    assert client.post(f"{API}PLAIN/versions/1/restore/").status_code == 403
    assert Parameter.objects.get().version == 1

    make_param("SECRET", "hidden", secret=True)
    refused = client.get(API)
    assert refused.status_code == 403 and refused.json()["code"] == "SECRET_READ_FORBIDDEN"
    assert "hidden" not in refused.content.decode()
    assert client.get(f"{API}SECRET/").status_code == 403
    assert client.get(f"{API}PLAIN/").json()["value"] == "visible"


def test_member_with_manage_parameters_writes(workspace, make_member, client_for):
    manager = make_member(workspace, manage_parameters=True)
    response = client_for(manager).post(API, {"name": "B", "value": "x", "secret": True}, format="json")
    assert response.status_code == 201
    assert client_for(manager).get(API).json() == {"B": "x"}


def test_ci_token_reads_only_its_stages_and_never_writes(owner, make_param, ci_client):
    make_param("A", "default-a")
    make_param("A", "prod-a", stage="prod", secret=True)
    prod_only = ci_client(["prod"])
    assert prod_only.get(API, {"stage": "prod"}).json() == {"A": "prod-a"}
    assert prod_only.get(f"{API}A/", {"stage": "prod"}).json()["value"] == "prod-a"
    for stage in ("dev", "default"):
        refused = prod_only.get(API, {"stage": stage})
        assert refused.status_code == 404 and refused.json()["code"] == "STAGE_NOT_FOUND"
        assert prod_only.get(f"{API}A/", {"stage": stage}).status_code == 404
        assert (
            prod_only.post(
                f"{API}render/", {"stage": stage, "template": "${param:A}"}, format="json"
            ).status_code
            == 404
        )
    assert ci_client().get(API, {"stage": "dev"}).json() == {"A": "default-a"}

    assert prod_only.post(API, {"name": "B", "value": "x"}, format="json").status_code == 403
    assert prod_only.patch(f"{API}A/?stage=prod", {"value": "x"}, format="json").status_code == 403
    assert prod_only.get(f"{API}A/versions/", {"stage": "prod"}).status_code == 403
    assert Parameter.objects.count() == 2


def test_developer_token_reads_as_its_member(owner, bearer, make_param):
    from authtokens import services as token_services

    make_param("S", "v", secret=True)
    client = bearer(token_services.developer_token_rotate(actor=owner).plaintext)
    assert client.get(API).json() == {"S": "v"}


def test_another_workspace_gets_404_everywhere(outsider, client_for, make_param, bearer):
    from authtokens import services as token_services

    make_param("A", "1")
    outsider_ci = bearer(token_services.ci_token_create(actor=outsider, name="theirs").plaintext)
    for client in (client_for(outsider), outsider_ci):
        assert client.get(API).status_code == 404
        assert client.get(f"{API}A/").status_code == 404
        assert client.post(f"{API}render/", {"template": "x"}, format="json").status_code == 404
    client = client_for(outsider)
    assert client.post(API, {"name": "B", "value": "x"}, format="json").status_code == 404
    assert client.patch(f"{API}A/", {"value": "x"}, format="json").status_code == 404
    assert client.delete(f"{API}A/").status_code == 404
    assert client.get(f"{API}A/versions/").status_code == 404
    assert client.post(f"{API}A/versions/1/restore/").status_code == 404
    assert Parameter.objects.get().version == 1


def test_resolved_list_runs_a_constant_number_of_queries(
    owner, client_for, make_param, django_assert_max_num_queries
):
    client = client_for(owner)
    client.get(API)
    for n in range(30):
        make_param(f"P{n}", "v", secret=n % 2 == 0)
    with django_assert_max_num_queries(4):
        assert len(client.get(API).json()) == 30


def test_ci_token_stages_are_set_when_created_and_validated(owner, client_for):
    api = "/api/v1/workspaces/acme/auth-tokens/ci/"
    created = client_for(owner).post(
        api, {"name": "deploy", "parameter_stages": ["prod", "staging"]}, format="json"
    )
    assert created.status_code == 201 and created.json()["parameter_stages"] == ["prod", "staging"]
    bad = client_for(owner).post(api, {"name": "x", "parameter_stages": ["Prod!"]}, format="json")
    assert bad.status_code == 400 and "parameter_stages" in bad.json()["fields"]
    wrong_type = client_for(owner).post(api, {"name": "y", "parameter_stages": "prod"}, format="json")
    assert wrong_type.status_code == 400 and "parameter_stages" in wrong_type.json()["fields"]


def test_ci_token_stages_from_the_dashboard_form(owner):
    from django.test import Client

    from authtokens.models import AuthToken

    client = Client()
    client.force_login(owner.user)
    response = client.post("/w/acme/tokens/ci/new/", {"name": "deploy", "parameter_stages": "prod, staging"})
    assert response.status_code == 302
    token = AuthToken.objects.get(kind="ci")
    assert token.parameter_stages == ["prod", "staging"]
    assert "prod, staging" in client.get(f"/w/acme/tokens/{token.public_id}/").content.decode()
    bad = client.post("/w/acme/tokens/ci/new/", {"name": "other", "parameter_stages": "Prod!"})
    assert bad.status_code == 400 and "lower-case" in bad.content.decode()
