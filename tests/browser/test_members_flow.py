"""The members flow in a real browser: invite, sign up from the invitation, change a role with Save,
confirm making an owner."""

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

    # The invitee follows the link from the e-mail and signs up from it: no personal workspace,
    # no second "Accept" click, and the address counts as confirmed (the link went to it).
    path = invitation_link_from_mail()
    page.goto(path)
    assert page.locator("h1").inner_text() == "Join Acme"
    shot("2-invitation-logged-out")
    page.get_by_role("link", name="Sign up").last.click()
    assert page.locator("[data-testid=invited-email]").inner_text() == INVITEE
    page.fill("input[name=full_name]", "Grace Hopper")
    page.fill("input[name=password]", INVITEE_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/w/{workspace.slug}/")
    assert "You joined Acme as Member." in page.locator(".flash-success").inner_text()
    shot("3-invitee-joined")
    assert Invitation.objects.get(email=INVITEE).status == InvitationStatus.ACCEPTED
    assert [m.workspace_id for m in Membership.objects.filter(user__email=INVITEE)] == [workspace.pk]
    log_out(page)

    # The owner changes the new member's role: choosing does nothing until Save.
    login("owner@acme.test")
    page.goto(f"/w/{workspace.slug}/members/")
    row = page.locator(f'tr[data-member="{INVITEE}"]')
    row.locator("select[name=role]").select_option("admin")
    page.wait_for_timeout(300)
    assert Membership.objects.get(user__email=INVITEE, workspace=workspace).role == Role.MEMBER
    row.get_by_role("button", name=f"Save role of {INVITEE}").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").inner_text() == f"{INVITEE} is now an admin."
    assert Membership.objects.get(user__email=INVITEE, workspace=workspace).role == Role.ADMIN
    shot("4-role-changed")

    # Making an owner asks first (a page of its own, so it works without JavaScript too).
    row = page.locator(f'tr[data-member="{INVITEE}"]')
    row.locator("select[name=role]").select_option("owner")
    row.get_by_role("button", name=f"Save role of {INVITEE}").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == f"Make {INVITEE} an owner?"
    shot("5-owner-confirmation")
    assert Membership.objects.get(user__email=INVITEE, workspace=workspace).role == Role.ADMIN
    page.get_by_role("button", name="Make owner").click()
    page.wait_for_url(f"**/w/{workspace.slug}/members/")
    assert page.locator(".flash-success").inner_text() == f"{INVITEE} is now an owner."
    assert Membership.objects.get(user__email=INVITEE, workspace=workspace).role == Role.OWNER
