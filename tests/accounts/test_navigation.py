"""The workspace sidebar: entries appear by permission, and sub-pages keep their section highlighted."""

import pytest
from django.urls import reverse

from tests.licensing.factories import LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db


def active_entries(response):
    return [item["label"] for item in response.context["workspace_nav"] if item["active"]]


def labels(response):
    return [item["label"] for item in response.context["workspace_nav"]]


def test_a_license_page_keeps_licenses_highlighted(client, workspace, owner):
    license = LicenseFactory(policy=PolicyFactory(), workspace=workspace)
    client.force_login(owner.user)
    detail = reverse(
        "licensing:license_detail", kwargs={"workspace_slug": "acme", "public_id": license.public_id}
    )
    assert active_entries(client.get(detail)) == ["Licenses"]
    assert active_entries(client.get("/w/acme/")) == ["Overview"]


def test_members_without_permissions_do_not_see_admin_sections(client, workspace, member):
    client.force_login(member.user)
    shown = labels(client.get("/w/acme/"))
    assert "Licenses" not in shown and "Security log" not in shown
    assert "My license" in shown and "Auth tokens" in shown


def test_a_page_outside_every_section_highlights_none_not_the_overview(client, workspace, owner):
    from accounts import services

    invitation = services.membership_invite(actor=owner, email="x@example.com")
    client.force_login(owner.user)
    asked = client.post(f"/w/acme/invitations/{invitation.pk}/revoke/")  # the confirmation page
    assert asked.status_code == 200 and active_entries(asked) == []
