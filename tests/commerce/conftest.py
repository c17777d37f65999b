"""Billing events reach the real endpoint, signed with the real Standard Webhooks library."""

import base64
import itertools
import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from standardwebhooks.webhooks import Webhook

from commerce.models import BillingProduct
from tests.licensing.factories import PolicyFactory

SECRET = "whsec_" + base64.b64encode(b"keyward-commerce-test-secret-32b").decode()
URL = "/api/v1/billing/events"
BASE_TIME = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _billing_secret(settings):
    settings.BILLING_WEBHOOK_SECRET = SECRET


def signed_headers(body: str, event_id: str, secret: str = SECRET, when: datetime | None = None) -> dict:
    when = when or datetime.now(UTC)
    signature = Webhook(secret).sign(event_id, when, body)
    return {
        "HTTP_WEBHOOK_ID": event_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(when.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": signature,
    }


def post_event(payload: dict, event_id: str | None = None, client: Client | None = None, **sign):
    body = json.dumps(payload)
    event_id = event_id or f"evt_{next(_ids)}_{secrets.token_hex(4)}"
    client = client or Client()
    return client.post(URL, body, content_type="application/json", **signed_headers(body, event_id, **sign))


def subscription_event(
    kind,
    *,
    minute,
    subscription_id="sub_1",
    product_id="pdt_pro",
    quantity=1,
    email="buyer@example.com",
    name="Bea Buyer",
):
    return {
        "business_id": "bus_1",
        "type": f"subscription.{kind}",
        "timestamp": (BASE_TIME + timedelta(minutes=minute)).isoformat(),
        "data": {
            "subscription_id": subscription_id,
            "product_id": product_id,
            "quantity": quantity,
            "status": kind,
            "customer": {"customer_id": "cus_1", "email": email, "name": name},
        },
    }


def payment_event(*, minute=0, payment_id="pay_1", cart=(("pdt_once", 1),), email="buyer@example.com"):
    return {
        "business_id": "bus_1",
        "type": "payment.succeeded",
        "timestamp": (BASE_TIME + timedelta(minutes=minute)).isoformat(),
        "data": {
            "payment_id": payment_id,
            "subscription_id": None,
            "product_cart": [{"product_id": p, "quantity": q} for p, q in cart],
            "customer": {"customer_id": "cus_1", "email": email, "name": "Bea Buyer"},
        },
    }


def refund_event(*, minute=5, payment_id="pay_1"):
    return {
        "business_id": "bus_1",
        "type": "refund.succeeded",
        "timestamp": (BASE_TIME + timedelta(minutes=minute)).isoformat(),
        "data": {"refund_id": "ref_1", "payment_id": payment_id, "customer": {"email": "buyer@example.com"}},
    }


@pytest.fixture
def pro_policy(db):
    policy = PolicyFactory(
        name="Pro", duration=None, activation_instructions="Run `tool activate`\n\n<script>x</script>"
    )
    BillingProduct.objects.create(product_id="pdt_pro", policy=policy)
    return policy


@pytest.fixture
def team_policy(db, pro_policy):
    policy = PolicyFactory(product=pro_policy.product, name="Team", duration=None)
    BillingProduct.objects.create(product_id="pdt_team", policy=policy)
    return policy


@pytest.fixture
def once_policy(db):
    policy = PolicyFactory(name="Once", duration=timedelta(days=365))
    BillingProduct.objects.create(product_id="pdt_once", policy=policy)
    return policy


@pytest.fixture
def manual_policy(db):
    policy = PolicyFactory(name="Manual", duration=None, fulfilment="manual")
    BillingProduct.objects.create(product_id="pdt_manual", policy=policy)
    return policy
