"""What receiving a billing event keeps and answers (commerce.services.billing_event_receive), as
support reads it in admin and the billing system reads it in the answer."""

from datetime import timedelta

import pytest
from django.utils import timezone

from commerce import services
from commerce.models import BillingCustomer, BillingEvent, BillingProduct, Grant, GrantStatus, Purchase

from .conftest import BASE_TIME, payment_event, post_event, subscription_event

pytestmark = pytest.mark.django_db


def test_a_received_event_keeps_its_type_its_own_time_and_its_body(pro_policy):
    payload = subscription_event("active", minute=7)
    before = timezone.now()
    post_event(payload, event_id="evt_kept")
    event = BillingEvent.objects.get(event_id="evt_kept")
    assert (event.event_type, event.occurred_at, event.payload) == (
        "subscription.active",
        BASE_TIME + timedelta(minutes=7),
        payload,
    )
    assert (event.status, event.error_code, event.error_message, event.attempts) == ("processed", "", "", 1)
    assert before <= event.processed_at <= timezone.now()


def test_an_unmapped_product_is_refused_saying_how_to_fix_it_and_the_event_keeps_why(pro_policy):
    message = (
        "No policy is mapped to billing product 'pdt_new'; add it under Commerce › Billing products "
        "and replay the event."
    )
    response = post_event(subscription_event("active", minute=0, product_id="pdt_new"), event_id="evt_new")
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["message"]) == ("PRODUCT_UNKNOWN", message)
    event = BillingEvent.objects.get(event_id="evt_new")
    assert (event.status, event.error_code, event.error_message, event.processed_at) == (
        "failed",
        "PRODUCT_UNKNOWN",
        message,
        None,
    )


def test_a_failed_event_replayed_once_mapped_forgets_its_error_and_counts_both_attempts(pro_policy):
    failed = services.billing_event_receive(
        event_id="evt_late", payload=subscription_event("active", minute=0, product_id="pdt_late")
    )
    BillingProduct.objects.create(product_id="pdt_late", policy=pro_policy)
    replayed = services.billing_event_replay(event=failed)
    replayed = BillingEvent.objects.get(pk=replayed.pk)
    assert (replayed.status, replayed.error_code, replayed.error_message, replayed.attempts) == (
        "processed",
        "",
        "",
        2,
    )
    assert replayed.processed_at is not None and Grant.objects.count() == 1


def test_a_customer_is_known_by_e_mail_whatever_its_case_or_spaces(once_policy):
    post_event(payment_event(payment_id="pay_1", email="Bea@Example.COM"))
    post_event(payment_event(payment_id="pay_2", email="  bea@example.com "))
    customer = BillingCustomer.objects.get()
    assert (customer.email, customer.name) == ("bea@example.com", "Bea Buyer")
    assert {grant.workspace_id for grant in Grant.objects.all()} == {customer.workspace_id}


def test_a_new_customers_workspace_is_named_after_them_or_their_e_mail(pro_policy):
    post_event(subscription_event("active", minute=0, subscription_id="sub_a", email="ann@example.com"))
    nameless = subscription_event("active", minute=0, subscription_id="sub_b", email="bob@example.com")
    del nameless["data"]["customer"]["name"]
    assert post_event(nameless).status_code == 200
    named = {customer.email: customer.workspace.name for customer in BillingCustomer.objects.all()}
    assert named == {"ann@example.com": "Bea Buyer", "bob@example.com": "bob"}


def test_an_event_stamped_the_same_time_as_the_last_one_still_applies(pro_policy):
    post_event(subscription_event("active", minute=0))
    post_event(subscription_event("on_hold", minute=0))
    assert Purchase.objects.get().status == "on_hold"
    assert Grant.objects.get().on_hold


def test_a_payment_grant_names_its_payment_and_a_subscription_grant_its_subscription(once_policy, pro_policy):
    post_event(payment_event(payment_id="pay_9"))
    post_event(subscription_event("active", minute=0, subscription_id="sub_9"))
    grants = {grant.policy_id: (grant.payment_id, grant.subscription_id) for grant in Grant.objects.all()}
    assert grants == {once_policy.pk: ("pay_9", ""), pro_policy.pk: ("", "sub_9")}
    assert all(grant.status == GrantStatus.DELIVERED for grant in Grant.objects.all())


def test_a_new_customer_is_mailed_their_owner_invitation(once_policy, django_capture_on_commit_callbacks):
    from django.core import mail

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_event(payment_event())
    invited = [message for message in mail.outbox if message.subject.startswith("You are invited to")]
    assert [(message.to, message.subject) for message in invited] == [
        (["buyer@example.com"], "You are invited to Bea Buyer on Keyward")
    ]
