"""The overview tells a member which license they run under, and license managers the seat counts."""

import pytest

from tests.licensing.factories import LicenseFactory, PolicyFactory, ProductFactory

pytestmark = pytest.mark.django_db


def panel(client, membership):
    client.force_login(membership.user)
    html = client.get(f"/w/{membership.workspace.slug}/").content.decode()
    return html.split('data-testid="license-overview"')[1].split("</section>")[0]


def test_a_member_sees_their_license_and_no_counts(client, workspace, member):
    policy = PolicyFactory(product=ProductFactory(name="Cloud Emulator"), name="Pro")
    LicenseFactory(policy=policy, workspace=workspace, assignee=member)
    LicenseFactory(policy=policy, workspace=workspace)
    html = panel(client, member)
    assert "Cloud Emulator Pro" in html
    assert "unassigned" not in html


def test_a_license_manager_sees_the_seat_counts(client, workspace, owner):
    policy = PolicyFactory()
    LicenseFactory(policy=policy, workspace=workspace)
    LicenseFactory(policy=policy, workspace=workspace, assignee=owner)
    html = panel(client, owner)
    assert "2 licenses" in html and "2 active, 1 unassigned" in html


def test_without_a_license_the_panel_says_who_to_ask(client, workspace, member):
    assert "No license is assigned to you here" in panel(client, member)
