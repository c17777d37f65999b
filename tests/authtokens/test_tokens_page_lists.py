"""The Auth tokens page: a New CI token button opening the form, expiry and status in the table,
revoked tokens behind a filter, a failed submit landing on the form, the full value in the setup
snippet while it is revealed."""

import pytest
from django.test import Client

from authtokens import services

pytestmark = pytest.mark.django_db

URL = "/w/acme/tokens/"


@pytest.fixture
def client_owner(owner):
    client = Client()
    client.force_login(owner.user)
    return client


def test_revoked_tokens_stay_visible_behind_a_filter(client_owner, owner):
    kept = services.ci_token_create(actor=owner, name="kept").token
    gone = services.ci_token_create(actor=owner, name="gone").token
    services.ci_token_revoke(actor=owner, token=gone)
    page = client_owner.get(URL).content.decode()
    assert 'data-token="kept"' in page and 'data-token="gone"' not in page
    everything = client_owner.get(URL + "?show=revoked").content.decode()
    assert 'data-token="gone"' in everything and ">Revoked</span>" in everything
    assert kept.masked in everything


def test_the_table_shows_expiry_and_status(client_owner, owner):
    from datetime import timedelta

    from django.utils import timezone

    services.ci_token_create(actor=owner, name="dated", expires_at=timezone.now() + timedelta(days=3))
    page = client_owner.get(URL).content.decode()
    row = page[page.index('data-token="dated"') :]
    assert "UTC" in row[: row.index("</tr>")] and ">Active</span>" in row[: row.index("</tr>")]


def test_a_failed_create_lands_on_the_open_form_with_the_error(client_owner):
    response = client_owner.post("/w/acme/tokens/ci/new/", {"name": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="new-ci-token" open' in page
    assert 'action="/w/acme/tokens/ci/new/#new-ci-token"' in page
    assert 'id="id_name-error"' in page


def test_the_setup_snippet_shows_the_full_value_while_revealed(client_owner):
    client_owner.post("/w/acme/tokens/developer/reset/")
    page = client_owner.get(URL).content.decode()
    value = page.split('id="new-token" value="')[1].split('"')[0]
    assert value.startswith("kw_dev_") and f"export KEYWARD_AUTH_TOKEN={value}" in page
    again = client_owner.get(URL).content.decode()
    assert value not in again and "paste your full token" in again
