"""My license: activation instructions as safe Markdown, and a member releasing their own lost machine."""

import pytest
from django.test import Client

from licensing.models import Activation

from .factories import ActivationFactory, LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db

W = "/w/acme"


def client_for(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_instructions_are_markdown_with_html_and_script_links_neutralised(member, workspace):
    policy = PolicyFactory(
        activation_instructions="Run `emu login` **first**.\n\n<script>alert(1)</script> "
        "[bad](javascript:alert(1)) [docs](https://docs.example/)"
    )
    LicenseFactory(workspace=workspace, policy=policy, assignee=member)
    page = client_for(member).get(f"{W}/my-license/").content.decode()
    block = page[page.index('data-testid="instructions"') :]
    block = block[: block.index("</div>")]
    assert "<code>emu login</code>" in block and "<strong>first</strong>" in block
    assert '<a href="https://docs.example/">docs</a>' in block
    assert "<script>" not in block and "&lt;script&gt;" in block
    assert 'href="javascript' not in block


def test_a_member_releases_their_own_machine_after_confirming(member, workspace):
    seat = LicenseFactory(workspace=workspace, assignee=member)
    mine = ActivationFactory(license=seat, membership=member, name="lost-laptop")
    client = client_for(member)
    page = client.get(f"{W}/my-license/").content.decode()
    assert 'aria-label="Release lost-laptop"' in page
    url = f"{W}/licenses/{seat.public_id}/machines/{mine.public_id}/deactivate/"
    asked = client.post(url, {"next": f"{W}/my-license/"})
    assert asked.status_code == 200 and Activation.objects.filter(pk=mine.pk).exists()
    done = client.post(url, {"next": f"{W}/my-license/", "confirmed": "yes"})
    assert done["Location"] == f"{W}/my-license/"
    assert not Activation.objects.filter(pk=mine.pk).exists()


def test_a_member_cannot_release_someone_elses_machine(member, admin, workspace):
    seat = LicenseFactory(workspace=workspace, assignee=member)
    theirs = ActivationFactory(license=seat, membership=admin)
    client = client_for(member)
    assert 'aria-label="Release' not in client.get(f"{W}/my-license/").content.decode()
    url = f"{W}/licenses/{seat.public_id}/machines/{theirs.public_id}/deactivate/"
    response = client.post(url, {"next": f"{W}/my-license/", "confirmed": "yes"}, follow=True)
    assert "manage licenses" in response.content.decode()
    assert Activation.objects.filter(pk=theirs.pk).exists()


def test_another_workspaces_member_gets_404(outsider, member, workspace):
    seat = LicenseFactory(workspace=workspace, assignee=member)
    mine = ActivationFactory(license=seat, membership=member)
    url = f"{W}/licenses/{seat.public_id}/machines/{mine.public_id}/deactivate/"
    assert client_for(outsider).post(url, {"confirmed": "yes"}).status_code == 404
    assert Activation.objects.filter(pk=mine.pk).exists()
