"""Django admin: vendor keys shown once; pending grants fulfilled; failed events replayed."""

import pytest

from authtokens import tokens
from authtokens.models import VendorApiKey
from commerce.models import BillingEvent, BillingProduct, Grant
from tests.factories import UserFactory

from .conftest import post_event, subscription_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(email="root@keyward.test", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_vendor_key_added_in_admin_is_shown_once(admin_client):
    response = admin_client.post(
        "/admin/authtokens/vendorapikey/add/",
        {"name": "Billing", "access": "read_write", "expires_at_0": "", "expires_at_1": ""},
    )
    assert response.status_code == 302, response.content[:2000]
    page = admin_client.get(response["Location"]).content.decode()
    key = VendorApiKey.objects.get()
    raw = page.split('id="new-vendor-key"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert tokens.hash_token(raw) == key.token_hash and raw.startswith("kw_api_")
    again = admin_client.get(response["Location"]).content.decode()
    assert raw not in again and 'data-testid="key-gone"' in again
    assert raw not in admin_client.get("/admin/authtokens/vendorapikey/").content.decode()


def test_pending_grant_fulfilled_in_admin_once(admin_client, manual_policy):
    post_event(subscription_event("active", minute=0, product_id="pdt_manual"))
    grant = Grant.objects.get()
    listing = admin_client.get("/admin/commerce/grant/?status__exact=pending").content.decode()
    assert grant.public_id in listing and "Supply the key" in listing
    url = f"/admin/commerce/grant/{grant.pk}/fulfil/"
    response = admin_client.post(url, {"key": "ADMIN-KEY-1"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.status == "delivered" and grant.license.key == "ADMIN-KEY-1"
    assert "only a pending grant" in admin_client.get(url).content.decode()


def test_failed_event_replayed_from_admin(admin_client, pro_policy):
    post_event(subscription_event("active", minute=0, product_id="pdt_new"), event_id="evt_f")
    event = BillingEvent.objects.get()
    BillingProduct.objects.create(product_id="pdt_new", policy=pro_policy)
    admin_client.post("/admin/commerce/billingevent/", {"action": "replay", "_selected_action": [event.pk]})
    event.refresh_from_db()
    assert event.status == "processed" and Grant.objects.count() == 1
