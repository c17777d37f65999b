"""Dodo's entitlement grants endpoints through the official SDK, under strict response validation."""

import dodopayments
import pytest
from dodopayments import DodoPayments

from authtokens import vendor_keys
from commerce.models import BillingProduct, Grant
from licensing.models import License
from tests.factories import UserFactory
from tests.licensing.factories import PolicyFactory, ProductFactory

from .conftest import post_event, subscription_event

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings(
        "ignore:deprecated:DeprecationWarning"
    ),  # license_keys.* are still served by Dodo
]


@pytest.fixture
def emulator_manual(db):
    policy = PolicyFactory(
        product=ProductFactory(name="Emulator", code="emulator"), duration=None, fulfilment="manual"
    )
    BillingProduct.objects.create(product_id="pdt_manual", policy=policy)
    return policy


@pytest.fixture
def vendor_sdk(live_server):
    staff = UserFactory(email="staff@keyward.test", is_staff=True)
    issued = vendor_keys.vendor_api_key_create(created_by=staff, name="dodo", access="read_write")
    client = DodoPayments(
        bearer_token=issued.plaintext,
        base_url=live_server.url + "/compat/dodo",
        _strict_response_validation=True,
        max_retries=0,
    )
    yield client
    client.close()


def test_list_fulfil_409_and_revoke(vendor_sdk, emulator_manual):
    post_event(subscription_event("active", minute=0, product_id="pdt_manual", quantity=2))
    grants = vendor_sdk.entitlements.grants.list("emulator", status="Pending")
    assert len(grants.items) == 2 and all(
        g.status == "Pending" and g.license_key is None for g in grants.items
    )
    first = grants.items[0]
    assert first.subscription_id == "sub_1" and first.entitlement_id == "emulator"

    delivered = vendor_sdk.entitlements.grants.fulfill_license_key(
        first.id, key="DODO-MANUAL-1", activations_limit=4
    )
    assert delivered.status == "Delivered"
    assert (delivered.license_key.key, delivered.license_key.activations_limit) == ("DODO-MANUAL-1", 4)
    with pytest.raises(dodopayments.ConflictError) as repeat:
        vendor_sdk.entitlements.grants.fulfill_license_key(first.id, key="DODO-MANUAL-2")
    assert repeat.value.body["code"] == "GRANT_ALREADY_FULFILLED"
    assert License.objects.count() == 1

    revoked = vendor_sdk.entitlements.grants.revoke(first.id, id="emulator")
    assert (revoked.status, revoked.revocation_reason) == ("Revoked", "manual")
    assert vendor_sdk.entitlements.grants.revoke(first.id, id="emulator").status == "Revoked"  # idempotent
    assert [g.id for g in vendor_sdk.entitlements.grants.list("emulator", status="Revoked").items] == [
        first.id
    ]
    with pytest.raises(dodopayments.NotFoundError):
        vendor_sdk.entitlements.grants.revoke(first.id, id="another-product")


def test_billed_keys_carry_payment_and_customer_in_dodo_answers(vendor_sdk, live_server):
    policy = PolicyFactory(product=ProductFactory(name="Tool", code="tool"), duration=None, max_activations=3)
    BillingProduct.objects.create(product_id="pdt_tool", policy=policy)
    post_event(subscription_event("active", minute=0, product_id="pdt_tool"))
    license = Grant.objects.get().license
    instance = vendor_sdk.licenses.activate(license_key=license.key, name="laptop")
    assert (instance.customer.email, instance.customer.name) == ("buyer@example.com", "Bea Buyer")
    key = vendor_sdk.license_keys.retrieve(license.public_id)
    assert (key.subscription_id, key.payment_id, key.activations_limit) == ("sub_1", None, 3)


def test_dodo_error_codes_and_lowering_a_limit_below_active_machines(vendor_sdk):
    policy = PolicyFactory(product=ProductFactory(name="Tool", code="tool"), max_activations=2)
    created = vendor_sdk.license_keys.create(customer_id="cus_x", key="DODO-LIM-1", product_id="tool")
    vendor_sdk.licenses.activate(license_key="DODO-LIM-1", name="a")
    vendor_sdk.licenses.activate(license_key="DODO-LIM-1", name="b")
    with pytest.raises(dodopayments.UnprocessableEntityError) as full:
        vendor_sdk.licenses.activate(license_key="DODO-LIM-1", name="c")
    assert full.value.body["code"] == "LICENSE_KEY_LIMIT_REACHED"
    with pytest.raises(dodopayments.UnprocessableEntityError) as lowered:
        vendor_sdk.license_keys.update(created.id, activations_limit=1)
    assert lowered.value.body["code"] == "ACTIVATION_LIMIT_LESS_THAN_CURRENT_AMOUNT"
    assert License.objects.get().max_activations == 2
    assert vendor_sdk.license_keys.update(created.id, activations_limit=5).activations_limit == 5
    vendor_sdk.license_keys.update(created.id, disabled=True)
    with pytest.raises(dodopayments.UnprocessableEntityError) as inactive:
        vendor_sdk.licenses.activate(license_key="DODO-LIM-1", name="d")
    assert inactive.value.body["code"] == "INACTIVE_LICENSE_KEY"
    with pytest.raises(dodopayments.NotFoundError) as missing:
        vendor_sdk.licenses.activate(license_key="DODO-NOPE-1", name="x")
    assert missing.value.body["code"] == "LICENSE_KEY_NOT_FOUND"
    assert policy.licenses.count() == 1
