"""The Webhooks dashboard page: manage members only, secret shown once, another workspace gets 404."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.webhooks.secrets import current_secret
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

GOOD = {"url": "https://93.184.216.34/hooks", "event_types": ["license.created"], "enabled": "on"}


@pytest.fixture
def web():
    def make(membership):
        client = Client()
        client.force_login(membership.user)
        return client

    return make


def page(name, workspace="acme", **kwargs):
    return reverse(f"webhooks:{name}", kwargs={"workspace_slug": workspace, **kwargs})


@pytest.fixture
def endpoint(owner):
    return services.endpoint_create(actor=owner, url=GOOD["url"], event_types=GOOD["event_types"])[0]


def test_add_an_endpoint_shows_its_secret_once(web, owner):
    client = web(owner)
    response = client.post(page("endpoints"), GOOD)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get()
    secret = current_secret(endpoint)
    assert secret in response.content.decode()
    assert secret not in client.get(page("endpoints")).content.decode()
    assert secret not in client.get(page("endpoint", endpoint_id=endpoint.pk)).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**GOOD, "url": "ftp://93.184.216.34/x"}, "https://"),
        ({**GOOD, "url": "https://192.168.1.1/x"}, "private"),
        ({**GOOD, "url": "nope\x00"}, "Null characters"),
        ({**GOOD, "url": "nope"}, "valid URL"),
        ({**GOOD, "event_types": ["license.exploded"]}, "license.exploded"),
        ({"url": GOOD["url"]}, "at least one event"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_writes_nothing(web, owner, data, message):
    response = web(owner).post(page("endpoints"), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_edit_rotate_test_redeliver_delete(web, owner, endpoint):
    client = web(owner)
    response = client.post(
        page("endpoint", endpoint_id=endpoint.pk), {**GOOD, "description": "CRM", "enabled": ""}
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.description == "CRM" and not endpoint.enabled

    old = current_secret(endpoint)
    response = client.post(page("rotate_secret", endpoint_id=endpoint.pk))
    new = current_secret(endpoint)
    assert new != old and new in response.content.decode()

    client.post(page("send_test", endpoint_id=endpoint.pk))
    delivery = WebhookDelivery.objects.get()
    log = client.get(page("endpoint", endpoint_id=endpoint.pk)).content.decode()
    assert "webhook.test" in log and delivery.event_id in log
    client.post(page("redeliver", endpoint_id=endpoint.pk, delivery_id=delivery.pk))
    assert WebhookDelivery.objects.count() == 2

    client.post(page("delete", endpoint_id=endpoint.pk))
    assert not WebhookEndpoint.objects.exists()


def test_the_sidebar_shows_webhooks_to_managers_only(web, owner, member):
    assert (
        page("endpoints")
        in web(owner).get(reverse("accounts:workspace_home", args=["acme"])).content.decode()
    )
    assert (
        page("endpoints")
        not in web(member).get(reverse("accounts:workspace_home", args=["acme"])).content.decode()
    )
    assert web(member).get(page("endpoints")).status_code == 403


def test_another_workspaces_member_gets_404(web, outsider, endpoint, owner):
    delivery = services.endpoint_send_test(actor=owner, endpoint=endpoint)
    client = web(outsider)
    ids = {"endpoint_id": endpoint.pk}
    assert client.get(page("endpoints")).status_code == 404
    assert client.get(page("endpoint", **ids)).status_code == 404
    for name in ("rotate_secret", "send_test", "delete"):
        assert client.post(page(name, **ids)).status_code == 404
    assert client.post(page("redeliver", delivery_id=delivery.pk, **ids)).status_code == 404
    # Through their own workspace's URLs too.
    assert client.get(page("endpoint", workspace="globex", **ids)).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
