"""The Webhooks page in a real browser: add an endpoint, copy its secret once, send a test event and
read the attempt in the delivery log (delivered to a real receiver on 127.0.0.1)."""

import pytest

from tests.webhooks.conftest import Receiver, free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hook(settings):
    settings.WEBHOOK_ALLOW_HTTP = settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    receiver = Receiver(free_port()).start()
    yield receiver
    receiver.stop()


def test_add_an_endpoint_and_send_a_test_event(page, login, shot, owner, hook):
    login(owner.user.email)
    page.goto("/w/acme/")
    page.get_by_role("link", name="Webhooks").click()
    page.fill("input[name=url]", hook.url)
    page.fill("input[name=description]", "Our CRM")
    page.get_by_label("license.created").check()
    page.get_by_role("button", name="Add endpoint").click()
    page.wait_for_load_state()

    secret = page.locator("#new-secret").input_value()
    assert secret.startswith("whsec_")
    hook.secret = secret
    shot("1-secret-once")

    page.get_by_role("link", name=hook.url).click()
    assert secret not in page.content()
    page.get_by_role("button", name="Send a test event").click()
    page.wait_for_load_state()
    page.reload()  # the test event went out on commit; the log shows its attempt
    log = page.get_by_test_id("delivery-log").inner_text()
    assert "webhook.test" in log and "Succeeded" in log and "200" in log
    assert len(hook.requests) == 1 and hook.requests[0]["verified"]
    shot("2-delivery-log")
