"""Django admin for webhooks: vendor endpoints (secret shown once), the delivery log, redelivery."""

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.webhooks.secrets import current_secret
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_staff_add_a_vendor_endpoint_and_see_its_secret_once(staff_client):
    response = staff_client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {
            "url": "https://93.184.216.34/hooks",
            "description": "ERP",
            "event_types": ["license.created"],
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.workspace is None and endpoint.event_types == ["license.created"]
    secret = current_secret(endpoint)
    assert secret in response.content.decode()
    change_page = staff_client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/").content.decode()
    listing = staff_client.get("/admin/webhooks/webhookendpoint/").content.decode()
    assert secret not in change_page and secret not in listing


def test_admin_refuses_a_private_url_on_the_form(staff_client):
    response = staff_client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {"url": "https://10.1.2.3/hooks", "event_types": ["license.created"], "enabled": "on"},
    )
    assert response.status_code == 200 and b"private" in response.content
    assert not WebhookEndpoint.objects.exists()


def test_rotate_action_shows_the_new_secret_and_the_log_redelivers(staff_client, owner):
    endpoint, old = services.endpoint_create(
        actor=owner, url="https://93.184.216.34/h", event_types=["license.created"]
    )
    response = staff_client.post(
        "/admin/webhooks/webhookendpoint/",
        {"action": "rotate_secrets", "_selected_action": [endpoint.pk]},
    )
    new = current_secret(endpoint)
    assert new != old and new in response.content.decode()

    delivery = services.endpoint_send_test(actor=owner, endpoint=endpoint)
    assert staff_client.get("/admin/webhooks/webhookdelivery/").status_code == 200
    assert staff_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/").status_code == 200
    staff_client.post(
        "/admin/webhooks/webhookdelivery/", {"action": "redeliver", "_selected_action": [delivery.pk]}
    )
    assert WebhookDelivery.objects.filter(event=delivery.event).count() == 2
