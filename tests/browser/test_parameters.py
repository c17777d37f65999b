"""Parameters in a real browser: add a secret, reveal it (recorded), change it, restore the first version."""

import os

import pytest

from authtokens.models import SecurityAction, SecurityEvent
from parameters import selectors, services
from parameters.models import Parameter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reveal_and_restore(page, login, shot, owner):
    services.parameter_create(actor=owner, stage="default", name="LOG_LEVEL", value="info")
    login(owner.user.email)
    page.goto("/w/acme/parameters/?stage=prod")
    assert page.get_by_test_id("stage-switcher").locator("[aria-current]").inner_text() == "prod"

    form = page.get_by_test_id("parameter-create-form")
    form.locator("input[name=name]").fill("DB_PASSWORD")
    form.locator("textarea[name=value]").fill("first-secret")
    form.locator("input[name=is_secret]").check()
    form.get_by_role("button", name="Add parameter").click()
    page.wait_for_load_state()
    row = page.locator("tr[data-parameter=DB_PASSWORD]")
    assert "first-secret" not in page.content() and "••••" in row.inner_text()
    shot("1-masked")

    row.get_by_test_id("reveal").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("revealed-value").inner_text() == "first-secret"
    assert SecurityEvent.objects.filter(action=SecurityAction.PARAMETER_REVEALED).count() == 1
    shot("2-revealed")

    parameter = Parameter.objects.get(name="DB_PASSWORD")
    services.parameter_update(actor=owner, parameter=parameter, value="second-secret")
    page.goto(f"/w/acme/parameters/{parameter.pk}/history/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr[data-version='1']").get_by_test_id("restore").click()
    page.wait_for_load_state()
    assert "is current again" in page.content() and "first-secret" not in page.content()
    shot("3-restored")
    parameter.refresh_from_db()
    assert (parameter.version, selectors.parameter_value(parameter)) == (3, "first-secret")

    if os.environ.get("KEYWARD_SHOTS"):  # for looking at the layout by hand: phone width too
        page.goto("/w/acme/parameters/?stage=prod")
        page.set_viewport_size({"width": 390, "height": 844})
        shot("4-phone")
        page.goto(f"/w/acme/parameters/{parameter.pk}/history/")
        shot("5-phone-history")
