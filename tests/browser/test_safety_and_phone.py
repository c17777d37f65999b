"""In a real browser: every destructive action asks on a page of its own when JavaScript is off,
and at 390 px the phone menu reaches every section."""

import os

import pytest

from accounts import services
from accounts.models import InvitationStatus
from licensing.models import Activation, License
from tests.licensing.factories import ActivationFactory, LicenseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("KEYWARD_SHOTS_DIR")  # set it to keep the screenshots somewhere to look at


def save(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 1280, "height": 860}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page, email, password):
    page.goto("/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def confirm_on_its_own_page(page, button, expected_title):
    page.get_by_role("button", name=button).first.click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=confirm-page] h1").inner_text() == expected_title


def test_without_javascript_each_destructive_action_asks_first(
    no_js_page, password, workspace, owner, member
):
    page = no_js_page
    invitation = services.membership_invite(actor=owner, email="later@example.com")
    seat = LicenseFactory(workspace=workspace, assignee=member)
    machine = ActivationFactory(license=seat, membership=member, name="build-box")
    log_in(page, "owner@acme.test", password)

    # Revoke an invitation.
    page.goto("/w/acme/members/")
    confirm_on_its_own_page(page, "Revoke", "Revoke the invitation to later@example.com?")
    save(page, "nojs-revoke-confirm")
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    page.get_by_role("button", name="Revoke invitation").click()
    page.wait_for_url("**/w/acme/members/")
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED

    # Deactivate a machine, from the license page.
    page.goto(f"/w/acme/licenses/{seat.public_id}/")
    confirm_on_its_own_page(page, "Deactivate", "Deactivate “build-box”?")
    assert Activation.objects.filter(pk=machine.pk).exists()
    page.get_by_role("button", name="Deactivate machine").click()
    page.wait_for_load_state()
    assert not Activation.objects.filter(pk=machine.pk).exists()

    # Unassign a seat, from the members page; Cancel first goes back without a change.
    page.goto("/w/acme/members/")
    confirm_on_its_own_page(
        page,
        f"Unassign {seat.masked_key} from member@acme.test",
        f"Unassign {seat.masked_key} from member@acme.test?",
    )
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url("**/w/acme/members/")
    assert License.objects.get(pk=seat.pk).assignee_id == member.pk
    confirm_on_its_own_page(
        page,
        f"Unassign {seat.masked_key} from member@acme.test",
        f"Unassign {seat.masked_key} from member@acme.test?",
    )
    page.get_by_role("button", name="Unassign license").click()
    page.wait_for_url("**/w/acme/members/")
    assert License.objects.get(pk=seat.pk).assignee_id is None


def test_with_javascript_a_dialog_confirms_in_place(page, login, workspace, owner):
    invitation = services.membership_invite(actor=owner, email="later@example.com")
    login("owner@acme.test")
    page.goto("/w/acme/members/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Revoke").click()
    page.wait_for_timeout(300)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING and page.url.endswith("/w/acme/members/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    page.wait_for_load_state()
    assert "revoked" in page.locator(".flash-success").inner_text()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED


def test_the_phone_menu_reaches_every_section(browser, live_server, password, workspace, owner):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, "owner@acme.test", password)
    page.goto("/w/acme/")
    assert not page.locator("nav.sidebar").is_visible()
    menu = page.locator("[data-testid=phone-menu]")
    labels = [text.strip() for text in menu.locator("nav a").all_text_contents()]
    # The same sections as the desktop sidebar (data-driven: new entries come along by themselves).
    assert labels == [text.strip() for text in page.locator("nav.sidebar a").all_text_contents()]
    assert {"Overview", "Users & licenses", "Auth tokens", "Security log", "Settings"} <= set(labels)
    for label in labels:
        menu = page.locator("[data-testid=phone-menu]")
        menu.locator("summary").click()
        menu.get_by_role("link", name=label, exact=True).click()
        page.wait_for_load_state()
        summary = page.locator("[data-testid=phone-menu] summary").inner_text()
        assert label in summary, (label, summary)  # the current section is named on the closed menu
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (label, width)
        save(page, "phone-" + label.replace(" ", "-").replace("&", "and").lower())
    context.close()


def test_skip_link_is_the_first_stop_and_jumps_to_the_content(page, login, workspace, owner):
    login("owner@acme.test")
    page.goto("/w/acme/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
