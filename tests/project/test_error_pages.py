"""403, 404 and 500 are pages in the dashboard's layout that say why and link back."""

import pytest
from django.test import Client
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_a_member_gets_a_styled_403_saying_why(member, owner):
    client = Client()
    client.force_login(member.user)
    response = client.get("/w/acme/licenses/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-testid="error-page"' in page and 'class="sidebar"' in page
    assert "You need the “manage licenses” permission; ask a workspace admin." in page
    assert 'href="/w/acme/"' in page


def test_404_inside_a_workspace_links_back_to_it(member):
    client = Client()
    client.force_login(member.user)
    response = client.get("/w/acme/licenses/lic_doesnotexist00000000000/")
    assert response.status_code in (403, 404)
    missing = client.get("/w/acme/tokens/kw_nope/")
    assert missing.status_code == 404
    assert b"This page does not exist" in missing.content and b'href="/w/acme/"' in missing.content


def test_404_for_a_workspace_you_are_not_in_reveals_nothing(outsider, workspace):
    client = Client()
    client.force_login(outsider.user)
    response = client.get("/w/acme/")
    assert response.status_code == 404
    assert b"Acme" not in response.content and b"This page does not exist" in response.content


def test_500_page_renders_without_a_request_context(rf):
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
    assert b'href="/"' in response.content
