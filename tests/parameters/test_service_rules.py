"""The parameter services' own rules, which hold whichever door (API, dashboard, admin, script) calls them."""

import pytest
from cryptography.fernet import Fernet

from authtokens.models import SecurityAction, SecurityEvent
from parameters import services
from parameters.models import Parameter, ParameterVersion
from project.errors import DomainError

pytestmark = pytest.mark.django_db

API = "/api/v1/workspaces/acme/parameters/"

WRITES = {
    "change parameters": lambda actor, p: services.parameter_update(actor=actor, parameter=p, value="x"),
    "restore parameters": lambda actor, p: services.parameter_restore(actor=actor, parameter=p, version=1),
    "delete parameters": lambda actor, p: services.parameter_delete(actor=actor, parameter=p),
    "reveal secret values": lambda actor, p: services.parameter_reveal(actor=actor, parameter=p),
}


@pytest.mark.parametrize("action", WRITES)
def test_an_owner_of_another_workspace_handed_a_parameter_gets_not_found_and_nothing_changes(
    outsider, make_param, action
):
    parameter = make_param("DB_PASSWORD", "s3cret", secret=True)
    with pytest.raises(DomainError) as refused:
        WRITES[action](outsider, parameter)
    assert (refused.value.code, refused.value.message) == (
        "NOT_FOUND",
        "No such parameter; check the identifier.",
    )
    stored = Parameter.objects.get()
    assert (stored.version, stored.stored_value) == (1, parameter.stored_value)
    assert not SecurityEvent.objects.filter(action=SecurityAction.PARAMETER_REVEALED).exists()


CREATE = {
    "create parameters": lambda actor, _: services.parameter_create(
        actor=actor, stage="dev", name="N", value="x"
    )
}


@pytest.mark.parametrize("action", {**CREATE, **WRITES})
def test_a_member_without_manage_parameters_is_told_which_permission_to_ask_for(member, make_param, action):
    parameter = make_param("DB_PASSWORD", "s3cret", secret=True)
    with pytest.raises(DomainError) as refused:
        {**CREATE, **WRITES}[action](member, parameter)
    assert (refused.value.code, refused.value.message) == (
        "PERMISSION_DENIED",
        f"You need the “manage parameters” permission to {action}; ask a workspace admin.",
    )
    assert Parameter.objects.get().version == 1


def test_the_api_passes_the_permission_message_on(member, client_for, make_param):
    make_param("A", "1")
    refused = client_for(member).post(f"{API}A/versions/1/restore/")
    assert refused.status_code == 403
    assert refused.json()["message"] == (
        "You need the “manage parameters” permission to restore parameters; ask a workspace admin."
    )


def test_restoring_a_version_only_another_parameter_has_is_404_and_changes_nothing(
    owner, client_for, make_param
):
    other = make_param("OTHER", "o1")
    services.parameter_update(actor=owner, parameter=other, value="o2")  # OTHER has a version 2
    make_param("A", "a1")

    response = client_for(owner).post(f"{API}A/versions/2/restore/")
    assert response.status_code == 404
    assert response.json()["message"] == "No such version of this parameter; check the identifier."
    assert client_for(owner).get(f"{API}A/").json()["value"] == "a1"
    assert ParameterVersion.objects.filter(parameter__name="A").count() == 1


def _secrets(make_param, count):
    for n in range(count):
        make_param(f"SECRET_{n}", f"value-{n}", secret=True)
    make_param("PLAIN", "not encrypted")


def test_key_rotation_in_batches_counts_every_row_and_leaves_all_readable_under_the_new_key(
    make_param, settings
):
    _secrets(make_param, 3)  # 3 parameters + 3 versions, in batches of 2: 2 + 1 per table
    new_key = Fernet.generate_key().decode()
    settings.PARAMETER_KEYS = [new_key, *settings.PARAMETER_KEYS]

    assert services.parameter_keys_rotate(batch_size=2) == 6

    new_only = Fernet(new_key.encode())
    for model in (Parameter, ParameterVersion):
        opened = [
            new_only.decrypt(v.encode()).decode()
            for v in model.objects.filter(is_secret=True).values_list("stored_value", flat=True)
        ]
        assert sorted(opened) == ["value-0", "value-1", "value-2"]


def test_key_rotation_with_no_secrets_touches_nothing(make_param):
    make_param("PLAIN", "not encrypted")
    assert services.parameter_keys_rotate() == 0


def test_key_rotation_reads_rows_in_batches_not_one_query_per_row(
    make_param, settings, django_assert_max_num_queries
):
    _secrets(make_param, 20)  # 40 encrypted rows
    settings.PARAMETER_KEYS = [Fernet.generate_key().decode(), *settings.PARAMETER_KEYS]
    with django_assert_max_num_queries(10):
        assert services.parameter_keys_rotate() == 40


@pytest.mark.parametrize(
    "description",
    ["d" * 501, "nul\x00byte", "\ud800", 12, ["list"]],
    ids=["too-long", "nul", "lone-surrogate", "number", "list"],
)
def test_the_service_refuses_a_bad_description_from_any_door(owner, make_param, description):
    with pytest.raises(DomainError) as refused:
        services.parameter_create(actor=owner, stage="prod", name="A", value="v", description=description)
    assert (refused.value.code, refused.value.field) == ("DESCRIPTION_INVALID", "description")
    assert refused.value.message == "Keep the description to 500 characters of text."
    parameter = make_param("B", "v", description="kept")
    with pytest.raises(DomainError):
        services.parameter_update(actor=owner, parameter=parameter, description=description)
    assert not Parameter.objects.filter(name="A").exists()
    parameter.refresh_from_db()
    assert parameter.description == "kept"


def test_a_description_is_trimmed_may_be_500_characters_and_is_empty_when_left_out(owner):
    longest = services.parameter_create(actor=owner, stage="prod", name="A", value="v", description="d" * 500)
    trimmed = services.parameter_create(actor=owner, stage="prod", name="B", value="v", description="  note ")
    left_out = services.parameter_create(actor=owner, stage="prod", name="C", value="v")
    assert [p.description for p in (longest, trimmed, left_out)] == ["d" * 500, "note", ""]
    assert not left_out.is_secret and left_out.stored_value == "v"  # not secret unless asked


def test_a_taken_name_is_refused_with_how_to_fix_it_but_another_workspace_may_use_it(
    owner, outsider, client_for, make_param
):
    make_param("DB_HOST", "db.acme", stage="prod")
    taken = client_for(owner).post(API, {"stage": "prod", "name": "DB_HOST", "value": "x"}, format="json")
    assert taken.status_code == 409 and taken.json()["code"] == "PARAMETER_EXISTS"
    assert taken.json()["message"] == (
        "“DB_HOST” already exists in stage “prod”; edit it instead, or choose another name."
    )
    theirs = services.parameter_create(actor=outsider, stage="prod", name="DB_HOST", value="db.globex")
    assert theirs.workspace_id == outsider.workspace_id
    assert client_for(owner).get(f"{API}DB_HOST/", {"stage": "prod"}).json()["value"] == "db.acme"


@pytest.mark.parametrize("value", [12, None, ["x"], "nul\x00byte", "\ud800"])
def test_the_service_refuses_a_value_that_is_not_plain_text(owner, value):
    with pytest.raises(DomainError) as refused:
        services.parameter_create(actor=owner, stage="prod", name="A", value=value)
    assert (refused.value.code, refused.value.field) == ("VALUE_INVALID", "value")
    assert refused.value.message == "Send the value as text without NUL characters."
    assert not Parameter.objects.exists()


def test_the_history_says_who_changed_what_and_when(owner, workspace, make_member, client_for):
    manager = make_member(workspace, email="ops@acme.test", manage_parameters=True)
    parameter = services.parameter_create(actor=owner, stage="prod", name="A", value="v1")
    services.parameter_update(actor=manager, parameter=parameter, value="v2")
    services.parameter_restore(actor=owner, parameter=parameter, version=1)

    client = client_for(owner)
    history = client.get(f"{API}A/versions/", {"stage": "prod"}).json()
    assert [(v["version"], v["note"], v["changed_by"]) for v in history] == [
        (3, "Restored from v1", "owner@acme.test"),
        (2, "Changed", "ops@acme.test"),
        (1, "Created", "owner@acme.test"),
    ]
    current = client.get(f"{API}A/", {"stage": "prod"}).json()
    assert history[0]["changed_at"] == current["updated_at"]


def test_a_value_may_be_exactly_8_kb_and_not_a_byte_more(owner):
    services.parameter_create(actor=owner, stage="prod", name="A", value="x" * 8192)
    with pytest.raises(DomainError) as refused:
        services.parameter_create(actor=owner, stage="prod", name="B", value="x" * 8193)
    assert (refused.value.code, refused.value.field) == ("VALUE_TOO_LONG", "value")


def test_sending_the_same_value_or_only_a_description_makes_no_new_version(owner, make_param):
    parameter = make_param("A", "v1", description="old")
    parameter = services.parameter_update(actor=owner, parameter=parameter, value="v1")
    parameter = services.parameter_update(actor=owner, parameter=parameter, description="new")
    parameter.refresh_from_db()
    assert (parameter.version, parameter.description) == (1, "new")
    assert ParameterVersion.objects.count() == 1


def test_a_reveal_is_logged_with_who_which_value_and_from_where(owner, make_param):
    parameter = make_param("API_TOKEN", "s3cret", stage="prod", secret=True)
    assert services.parameter_reveal(actor=owner, parameter=parameter, ip="203.0.113.9") == "s3cret"
    event = SecurityEvent.objects.get(action=SecurityAction.PARAMETER_REVEALED)
    assert (event.actor, event.ip, event.workspace_id) == (owner.user, "203.0.113.9", owner.workspace_id)
    assert event.detail == "Revealed API_TOKEN (stage prod, v1)."
