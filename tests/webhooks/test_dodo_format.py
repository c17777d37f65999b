"""An endpoint that chooses Dodo's payload format gets Dodo's own webhook events (typed by the
dodopayments SDK), signed like every delivery; a Keyward-format endpoint beside it is unchanged."""

import pytest
from dodopayments.types import (
    EntitlementGrantCreatedWebhookEvent,
    EntitlementGrantDeliveredWebhookEvent,
    LicenseKeyCreatedWebhookEvent,
)

from commerce.models import BillingProduct
from tests.commerce.conftest import SECRET, post_event, subscription_event
from tests.factories import UserFactory
from tests.licensing.factories import PolicyFactory, ProductFactory
from webhooks import services

DODO_TYPES = {
    "entitlement_grant.created": EntitlementGrantCreatedWebhookEvent,
    "entitlement_grant.delivered": EntitlementGrantDeliveredWebhookEvent,
    "license_key.created": LicenseKeyCreatedWebhookEvent,
}


def test_dodo_format_endpoint_gets_dodo_shapes(task_worker, receiver, local_webhooks, settings):
    settings.BILLING_WEBHOOK_SECRET = SECRET
    staff = UserFactory(email="staff@keyward.test", is_staff=True)
    policy = PolicyFactory(product=ProductFactory(code="tool", name="Tool"), duration=None, max_activations=2)
    BillingProduct.objects.create(product_id="pdt_tool", policy=policy)
    kinds = ["grant.created", "grant.delivered", "license.created"]
    dodo_hook, keyward_hook = receiver(), receiver()
    _, dodo_hook.secret = services.endpoint_create(
        actor=staff, url=dodo_hook.url, event_types=kinds, payload_format="dodo"
    )
    _, keyward_hook.secret = services.endpoint_create(actor=staff, url=keyward_hook.url, event_types=kinds)

    assert post_event(subscription_event("active", minute=0, product_id="pdt_tool")).status_code == 200
    task_worker()

    dodo_events = list(dodo_hook.events.values())
    assert sorted(e["type"] for e in dodo_events) == sorted(DODO_TYPES)
    for event in dodo_events:
        parsed = DODO_TYPES[event["type"]].model_validate(event)  # the SDK's own types accept it
        assert parsed.business_id
    delivered = next(e for e in dodo_events if e["type"] == "entitlement_grant.delivered")
    assert delivered["data"]["status"] == "Delivered" and delivered["data"]["subscription_id"] == "sub_1"
    assert delivered["data"]["license_key"]["activations_limit"] == 2
    assert sorted(e["type"] for e in keyward_hook.events.values()) == sorted(kinds)


def test_an_unknown_payload_format_is_refused(local_webhooks, db):
    from project.errors import DomainError

    staff = UserFactory(email="staff@keyward.test", is_staff=True)
    with pytest.raises(DomainError) as refused:
        services.endpoint_create(
            actor=staff, url="http://127.0.0.1:9/h", event_types=["grant.created"], payload_format="xml"
        )
    assert refused.value.field == "payload_format"


def test_the_dashboard_form_sets_and_keeps_the_payload_format(client, owner, workspace, local_webhooks):
    from webhooks.models import WebhookEndpoint

    client.force_login(owner.user)
    base = f"/w/{workspace.slug}/webhooks/"
    page = client.get(base).content.decode()
    assert 'name="payload_format"' in page
    client.post(
        base,
        {
            "url": "http://127.0.0.1:9/h",
            "event_types": ["grant.created"],
            "payload_format": "dodo",
            "enabled": "on",
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.payload_format == "dodo"
    client.post(
        f"{base}{endpoint.pk}/", {"url": endpoint.url, "event_types": ["grant.created"], "enabled": "on"}
    )
    endpoint.refresh_from_db()
    assert endpoint.payload_format == "dodo"
