"""The members flow in a real browser: invite, sign up, accept, change the role with the dropdown."""

import re

import pytest
from django.core import mail

from accounts.models import Invitation, InvitationStatus, Membership, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INVITEE = "grace@example.com"
INVITEE_PASSWORD = "an-unusual-passphrase"


def invitation_link_from_mail() -> str:
    """The invitation link's path from the invitee's e-mail (the live server thread shares mail.outbox)."""
    message = next(m for m in reversed(mail.outbox) if m.to == [INVITEE])
    return re.search(r"https?://[^/\s]+(/invitations/[0-9a-f-]+/)", message.body).group(1)


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")


def test_invite_accept_and_change_role(page, login, shot, workspace, owner, member):
    # The owner invites a new address.
    login("owner@acme.test")
    page.goto(f"/w/{workspace.slug}/members/")
    page.fill("form[data-testid=invite-form] input[name=email]", INVITEE)
    page.select_option("form[data-testid=invite-form] select[name=role]", "member")
    page.click("form[data-testid=invite-form] button[type=submit]")
    page.wait_for_url(f"**/w/{workspace.slug}/members/")
    assert page.locator(".flash-success").inner_text() == f"Invitation sent to {INVITEE}."
    assert page.locator(f'tr[data-invitation="{INVITEE}"]').is_visible()
    shot("1-owner-invited")
    log_out(page)

    # The invitee follows the link from the e-mail, signs up with that address and accepts.
    path = invitation_link_from_mail()
    page.goto(path)
    assert page.locator("h1").inner_text() == "Join Acme"
    shot("2-invitation-logged-out")
    page.get_by_role("link", name="Sign up").last.click()
    assert page.input_value("input[name=email]") == INVITEE
    page.fill("input[name=full_name]", "Grace Hopper")
    page.fill("input[name=password]", INVITEE_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"**{path}")
    shot("3-invitation-logged-in")
    page.get_by_role("button", name="Accept and join").click()
    page.wait_for_url(f"**/w/{workspace.slug}/")
    assert "You joined Acme as Member." in page.locator(".flash-success").inner_text()
    shot("4-invitee-joined")
    assert Invitation.objects.get(email=INVITEE).status == InvitationStatus.ACCEPTED
    log_out(page)

    # The owner changes the new member's role with the dropdown, which submits itself.
    login("owner@acme.test")
    page.goto(f"/w/{workspace.slug}/members/")
    row = page.locator(f'tr[data-member="{INVITEE}"]')
    assert row.locator("select[name=role]").input_value() == "member"
    with page.expect_navigation():
        row.locator("select[name=role]").select_option("admin")
    assert page.locator(".flash-success").inner_text() == f"{INVITEE} is now admin."
    assert page.locator(f'tr[data-member="{INVITEE}"] select[name=role]').input_value() == "admin"
    shot("5-role-changed")
    assert Membership.objects.get(user__email=INVITEE, workspace=workspace).role == Role.ADMIN
