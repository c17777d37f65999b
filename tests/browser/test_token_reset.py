"""The developer token reset flow in a real browser: confirm, see the token once, reload and it is gone."""

import pytest

from authtokens import selectors, services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reset_shows_the_new_token_once(page, login, shot, member):
    services.developer_token_rotate(actor=member)  # a token in use, so resetting it is destructive
    login(member.user.email)
    page.goto("/w/acme/tokens/")
    masked = page.get_by_test_id("developer-token-masked").inner_text()
    assert masked.startswith("kw_dev_…")
    shot("1-tokens")

    page.get_by_test_id("reset-developer-token").click()
    assert "stops working" in page.content()
    shot("2-confirm")
    page.get_by_test_id("confirm-reset").click()
    page.wait_for_load_state()

    revealed = page.get_by_test_id("revealed-token")
    token = page.locator("#new-token").input_value()
    assert revealed.is_visible() and token.startswith("kw_dev_")
    assert "Do not commit it to git" in revealed.inner_text()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == token
    assert page.get_by_test_id("developer-token-masked").inner_text() == f"kw_dev_…{token[-4:]}"
    assert selectors.token_resolve(raw_token=token).membership_id == member.pk
    shot("3-shown-once")

    page.reload()
    assert page.get_by_test_id("revealed-token").count() == 0
    assert token not in page.content()
    assert page.get_by_test_id("developer-token-masked").inner_text() == f"kw_dev_…{token[-4:]}"
    shot("4-after-reload")
