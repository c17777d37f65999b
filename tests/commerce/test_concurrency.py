"""20 concurrent deliveries of one event create one grant set. PostgreSQL only: SQLite serialises
writers and ignores SELECT ... FOR UPDATE, so it proves nothing there."""

import json

import pytest
from django.db import connection

from commerce.models import BillingEvent, BillingProduct, Grant
from licensing.models import License
from tests.concurrency import post_in_parallel
from tests.licensing.factories import PolicyFactory

from .conftest import URL, signed_headers, subscription_event

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and unique-index waits need PostgreSQL; run with DATABASE_URL=postgres://...",
    ),
]


def deliver_in_parallel(count, body, headers_for):
    """`headers_for(n)` gives the signed headers, or (body, headers) when each thread sends its own body."""

    def request_for(n):
        prepared = headers_for(n)
        payload, headers = prepared if isinstance(prepared, tuple) else (body, prepared)
        return URL, payload, headers

    return post_in_parallel(count, request_for)


def test_twenty_concurrent_deliveries_of_one_event_create_one_grant_set():
    BillingProduct.objects.create(product_id="pdt_pro", policy=PolicyFactory(duration=None))
    body = json.dumps(subscription_event("active", minute=0, quantity=3))

    outcomes = deliver_in_parallel(20, body, lambda n: signed_headers(body, "evt_concurrent"))

    assert outcomes == {200: 20}
    assert BillingEvent.objects.count() == 1
    assert Grant.objects.count() == 3 and License.objects.count() == 3


def test_twenty_concurrent_copies_under_different_ids_still_create_one_grant_set():
    """The billing system re-sent the same subscription state with new ids: the purchase row lock holds."""
    BillingProduct.objects.create(product_id="pdt_pro", policy=PolicyFactory(duration=None))
    body = json.dumps(subscription_event("active", minute=0, quantity=3))

    outcomes = deliver_in_parallel(20, body, lambda n: signed_headers(body, f"evt_copy_{n}"))

    assert outcomes == {200: 20}
    assert Grant.objects.count() == 3 and License.objects.count() == 3


def test_a_new_customer_buying_twice_at_once_gets_one_workspace():
    BillingProduct.objects.create(product_id="pdt_pro", policy=PolicyFactory(duration=None))
    bodies = [
        json.dumps(subscription_event("active", minute=0, subscription_id=f"sub_{n}")) for n in range(10)
    ]

    outcomes = deliver_in_parallel(10, None, lambda n: (bodies[n], signed_headers(bodies[n], f"evt_sub_{n}")))

    assert outcomes == {200: 10}
    assert Grant.objects.count() == 10
    assert Grant.objects.values("workspace").distinct().count() == 1
