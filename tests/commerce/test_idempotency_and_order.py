"""Every event replayed three times, and one subscription's events in shuffled orders: the final
state is the one the events' own timestamps describe, and nothing is duplicated."""

import itertools

import pytest

from commerce.models import BillingEvent, Grant
from licensing.models import License

from .conftest import payment_event, post_event, refund_event, subscription_event

pytestmark = pytest.mark.django_db


def snapshot():
    return sorted(
        (g.subscription_id or g.payment_id, g.policy.name, g.status, g.revocation_reason, g.license.status)
        for g in Grant.objects.select_related("license", "policy")
    )


SUBSCRIPTION_EVENTS = [
    ("active", dict(quantity=2)),
    ("renewed", dict(quantity=2)),
    ("on_hold", dict(quantity=2)),
    ("active", dict(quantity=2)),
    ("plan_changed", dict(quantity=3, product_id="pdt_team")),
    ("renewed", dict(quantity=3, product_id="pdt_team")),
    ("cancelled", dict(quantity=3, product_id="pdt_team")),
    ("expired", dict(quantity=3, product_id="pdt_team")),
]


@pytest.mark.parametrize("kind, extra", SUBSCRIPTION_EVENTS, ids=[k for k, _ in SUBSCRIPTION_EVENTS])
def test_each_subscription_event_replayed_three_times_changes_nothing_more(
    pro_policy, team_policy, kind, extra
):
    if kind != "active":
        post_event(subscription_event("active", minute=0, quantity=2), event_id="evt_setup")
    payload = subscription_event(kind, minute=10, **extra)
    post_event(payload, event_id="evt_same")
    once = snapshot()
    licenses = License.objects.count()
    for _ in range(3):
        response = post_event(payload, event_id="evt_same")
        assert response.status_code == 200
    assert snapshot() == once
    assert License.objects.count() == licenses
    assert BillingEvent.objects.filter(event_id="evt_same").get().attempts == 1


@pytest.mark.parametrize("event", ["payment", "refund"])
def test_payment_and_refund_replayed_three_times(once_policy, event):
    post_event(payment_event(), event_id="evt_pay")
    if event == "refund":
        post_event(refund_event(), event_id="evt_refund")
    once = snapshot()
    for _ in range(3):
        post_event(payment_event(), event_id="evt_pay")
        if event == "refund":
            post_event(refund_event(), event_id="evt_refund")
    assert snapshot() == once and License.objects.count() == 1


def test_the_same_payment_under_a_new_event_id_issues_nothing_more(once_policy):
    post_event(payment_event(), event_id="evt_a")
    post_event(payment_event(), event_id="evt_b")  # the billing system re-sent it with another id
    assert Grant.objects.count() == 1


def deliver_in_order(events):
    for kind, minute, extra in events:
        assert (
            post_event(
                subscription_event(kind, minute=minute, **extra), event_id=f"evt_{kind}_{minute}"
            ).status_code
            == 200
        )


def final_after_all_orders(events):
    """The snapshot after each permutation of `events` (on a clean slate), all of which must agree."""
    outcomes = set()
    for order in itertools.permutations(events):
        Grant.objects.all().delete()
        License.objects.all().delete()
        BillingEvent.objects.all().delete()
        from commerce.models import Purchase

        Purchase.objects.all().delete()
        deliver_in_order(order)
        outcomes.add(tuple(snapshot()))
    return outcomes


def test_cancelled_before_active_wins(pro_policy):
    outcomes = final_after_all_orders([("active", 0, dict(quantity=2)), ("cancelled", 10, dict(quantity=2))])
    # In order: two seats issued, then revoked. Cancelled first: the late active issues nothing at all.
    assert outcomes == {(("sub_1", "Pro", "revoked", "subscription_cancelled", "revoked"),) * 2, ()}


def test_on_hold_before_active(pro_policy):
    # on_hold is newer: the licenses exist and are suspended, whatever the arrival order
    outcomes = final_after_all_orders([("active", 0, dict(quantity=1)), ("on_hold", 10, dict(quantity=1))])
    assert outcomes == {(("sub_1", "Pro", "delivered", "", "suspended"),)}
    # active again after the hold: reinstated, whatever the order of the three
    outcomes = final_after_all_orders(
        [("active", 0, dict(quantity=1)), ("on_hold", 10, dict(quantity=1)), ("active", 20, dict(quantity=1))]
    )
    assert outcomes == {(("sub_1", "Pro", "delivered", "", "active"),)}


def test_renewed_twice_in_any_order(pro_policy):
    outcomes = final_after_all_orders(
        [
            ("active", 0, dict(quantity=2)),
            ("renewed", 10, dict(quantity=2)),
            ("renewed", 20, dict(quantity=2)),
        ]
    )
    assert outcomes == {(("sub_1", "Pro", "delivered", "", "active"),) * 2}


def test_plan_change_shuffled_with_active_and_renewal(pro_policy, team_policy):
    outcomes = final_after_all_orders(
        [
            ("active", 0, dict(quantity=1)),
            ("plan_changed", 10, dict(quantity=1, product_id="pdt_team")),
            ("renewed", 20, dict(quantity=1, product_id="pdt_team")),
        ]
    )
    # An old plan's seat exists only if `active` came first; what the customer holds never differs.
    live = {tuple(row for row in outcome if row[2] != "revoked") for outcome in outcomes}
    assert live == {(("sub_1", "Team", "delivered", "", "active"),)}
    assert all(row[1] == "Team" or row[3] == "plan_changed" for outcome in outcomes for row in outcome)


def test_refund_before_payment_wins(once_policy):
    post_event(refund_event(minute=5))
    post_event(payment_event(minute=0))
    assert Grant.objects.count() == 0 and License.objects.count() == 0
