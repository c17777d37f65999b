"""The Parameters dashboard: stages, masked secrets, reveal (logged), add, edit, delete, history, restore."""

import pytest
from django.test import Client

from authtokens.models import SecurityAction, SecurityEvent
from parameters.models import Parameter

pytestmark = pytest.mark.django_db

PAGE = "/w/acme/parameters/"


@pytest.fixture
def web():
    def make(membership):
        client = Client()
        client.force_login(membership.user)
        return client

    return make


def test_page_shows_the_resolved_stage_with_secrets_masked(owner, web, make_param):
    make_param("HOST", "db.default")
    make_param("HOST", "db.prod", stage="prod")
    make_param("TOKEN", "very-secret", secret=True)
    response = web(owner).get(PAGE, {"stage": "prod"})
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert "db.prod" in html and "db.default" not in html
    assert "very-secret" not in html and "from default" in html
    assert ">Parameters</a>" in html  # the sidebar entry


def test_reveal_shows_the_value_once_and_is_recorded(owner, web, make_param):
    token = make_param("TOKEN", "very-secret", secret=True, stage="prod")
    response = web(owner).post(f"{PAGE}{token.pk}/reveal/", {"stage": "prod"}, REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 200 and "very-secret" in response.content.decode()
    event = SecurityEvent.objects.get(action=SecurityAction.PARAMETER_REVEALED)
    assert (event.actor, event.ip, event.workspace_id) == (owner.user, "10.0.0.7", owner.workspace_id)
    assert "TOKEN" in event.detail and "prod" in event.detail and "very-secret" not in event.detail
    assert "very-secret" not in web(owner).get(PAGE, {"stage": "prod"}).content.decode()
    log = web(owner).get("/w/acme/security-log/").content.decode()
    assert "Secret parameter revealed" in log


def test_a_member_without_manage_parameters_can_neither_reveal_nor_write(member, web, make_param):
    secret = make_param("TOKEN", "very-secret", secret=True)
    client = web(member)
    html = client.get(PAGE).content.decode()
    assert "TOKEN" in html and "very-secret" not in html and 'data-testid="reveal"' not in html
    refused = client.post(f"{PAGE}{secret.pk}/reveal/", {"stage": "default"}, follow=True)
    assert "very-secret" not in refused.content.decode()
    assert "manage parameters" in refused.content.decode()
    assert not SecurityEvent.objects.filter(action=SecurityAction.PARAMETER_REVEALED).exists()
    assert client.post(f"{PAGE}new/", {"stage": "dev", "name": "X", "value": "1"}).status_code == 403
    client.post(f"{PAGE}{secret.pk}/delete/")
    client.post(f"{PAGE}{secret.pk}/edit/", {"value": "changed"})
    assert Parameter.objects.get().version == 1 and Parameter.objects.count() == 1


def test_add_edit_restore_and_delete(owner, web):
    client = web(owner)
    added = client.post(
        f"{PAGE}new/", {"stage": "prod", "name": "API_URL", "value": "https://a", "description": "d"}
    )
    assert added.status_code == 302 and added["Location"].endswith("?stage=prod")
    parameter = Parameter.objects.get()
    assert (
        client.post(f"{PAGE}{parameter.pk}/edit/", {"value": "https://b", "description": "d"}).status_code
        == 302
    )
    history = client.get(f"{PAGE}{parameter.pk}/history/").content.decode()
    assert "https://a" in history and "https://b" in history
    client.post(f"{PAGE}{parameter.pk}/history/1/restore/")
    parameter.refresh_from_db()
    assert (parameter.version, parameter.stored_value) == (3, "https://a")
    assert "Delete" in client.get(f"{PAGE}{parameter.pk}/delete/").content.decode()
    client.post(f"{PAGE}{parameter.pk}/delete/")
    assert not Parameter.objects.exists()


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_written(owner, web):
    response = web(owner).post(f"{PAGE}new/", {"stage": "prod", "name": "bad name!", "value": "x"})
    assert response.status_code == 400 and "letters, digits" in response.content.decode()
    too_big = web(owner).post(f"{PAGE}new/", {"stage": "prod", "name": "BIG", "value": "é" * 5000})
    assert too_big.status_code == 400 and "8 KB" in too_big.content.decode()
    assert web(owner).get(PAGE, {"stage": "Bad Stage!"}).status_code == 200  # flashes and shows default
    assert not Parameter.objects.exists()


def test_another_workspace_gets_404_on_every_page(outsider, web, make_param):
    parameter = make_param("A", "1")
    client = web(outsider)
    assert client.get(PAGE).status_code == 404
    for suffix in ("edit/", "delete/", "history/"):
        assert client.get(f"{PAGE}{parameter.pk}/{suffix}").status_code == 404
    assert client.post(f"{PAGE}{parameter.pk}/reveal/").status_code == 404
    assert client.post(f"{PAGE}{parameter.pk}/history/1/restore/").status_code == 404


def test_a_parameter_of_another_workspace_is_404_for_a_member_here(owner, outsider, web):
    from parameters import services

    theirs = services.parameter_create(actor=outsider, stage="prod", name="X", value="1")
    client = web(owner)
    for suffix in ("edit/", "delete/", "history/"):
        assert client.get(f"{PAGE}{theirs.pk}/{suffix}").status_code == 404
    assert client.post(f"{PAGE}{theirs.pk}/reveal/").status_code == 404
