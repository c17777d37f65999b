"""Seats in a real browser: an admin assigns a license to a member, who then sees it on My License."""

import pytest

from licensing.models import License
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")


def test_admin_assigns_a_license_and_the_member_sees_it(page, login, shot, workspace, admin, member):
    policy = PolicyFactory(
        product=ProductFactory(name="Cloud Emulator", code="emulator"),
        name="Pro",
        key_prefix="EMU",
        activation_instructions="Run emulator auth login with your developer token.",
    )
    license = LicenseFactory(workspace=workspace, policy=policy)
    LicenseFactory(workspace=workspace, policy=policy, assignee=admin)

    # The admin finds the free seat with the "Unassigned" filter and opens it.
    login("admin@acme.test")
    page.goto(f"/w/{workspace.slug}/licenses/")
    page.select_option("select[name=assignee]", "none")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**assignee=none**")
    rows = page.locator("table[data-testid=licenses] tbody tr")
    assert rows.count() == 1
    shot("1-admin-free-seats")
    rows.first.get_by_role("link").click()
    page.wait_for_url(f"**/licenses/{license.public_id}/")

    # ...assigns it to the member.
    page.select_option("form[data-testid=assign-form] select[name=member]", str(member.pk))
    page.click("form[data-testid=assign-form] button[type=submit]")
    page.wait_for_load_state()
    assert "is now assigned to member@acme.test" in page.locator(".flash-success").inner_text()
    assert "member@acme.test" in page.locator("[data-testid=seat]").inner_text()
    shot("2-admin-assigned")
    assert License.objects.get(pk=license.pk).assignee == member
    log_out(page)

    # The member sees it on My License, with its key, product, expiry and machines.
    ActivationFactory(license=license, membership=member, name="grace-laptop")
    login("member@acme.test")
    page.goto(f"/w/{workspace.slug}/my-license/")
    card = page.locator("[data-testid=my-license]")
    assert card.count() == 1
    text = card.inner_text()
    assert "Cloud Emulator" in text and "Pro" in text and "Active" in text
    assert "grace-laptop" in text and "Run emulator auth login" in text
    assert page.locator("[data-testid=license-key]").input_value() == license.plaintext_key
    shot("3-member-my-license")

    # The same page on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.locator("[data-testid=my-license]").is_visible()
    shot("4-member-my-license-phone")
