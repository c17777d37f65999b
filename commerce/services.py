"""Writes for commerce: billing events in, grants out.

Invariants, each enforced under a row lock:

- An event id is processed at most once. `BillingEvent.event_id` is unique; the first delivery
  inserts and locks the row, every other (replays, concurrent copies) finds it processed and
  changes nothing. A failed event (unknown product) is kept and may be processed again.
- Out of order is safe. Each payment or subscription keeps its latest state in a `Purchase`
  row, locked while an event applies, with the newest applied event's own timestamp
  (`state_at`): an older event changes nothing. Cancelled and expired subscriptions and
  refunded payments are final.
- The grants follow the purchase's state (`_reconcile`), never the event alone, so any order of
  the same events ends in the same grants. A seat revoked by staff (`manual`) or whose license
  was disabled (`license_key_disabled`) still counts as a seat: a renewal never brings it back.
- Every grant change emits a webhook event (grant.created / delivered / failed / revoked).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import services as account_services
from licensing.keys import public_id
from licensing.models import License, LicenseSource, LicenseStatus, Policy
from licensing.services import licenses as license_services
from project.errors import DomainError, ErrorKind
from project.mail import email_send
from webhooks import events

from . import events_in
from .models import (
    BillingCustomer,
    BillingEvent,
    BillingProduct,
    EventStatus,
    Grant,
    GrantStatus,
    Purchase,
    PurchaseKind,
    RevocationReason,
)

SUBSCRIPTION_STATUS = {
    "subscription.active": "active",
    "subscription.renewed": "active",
    "subscription.plan_changed": "active",
    "subscription.on_hold": "on_hold",
    "subscription.cancelled": "cancelled",
    "subscription.expired": "expired",
}
FINAL_STATUSES = {"cancelled", "expired", "refunded"}
END_REASONS = {
    "cancelled": RevocationReason.SUBSCRIPTION_CANCELLED,
    "expired": RevocationReason.SUBSCRIPTION_EXPIRED,
    "refunded": RevocationReason.REFUND,
}
# Revoked seats that still count as seats: staff meant it, or the license was disabled directly.
SEAT_KEEPING_REASONS = {RevocationReason.MANUAL, RevocationReason.LICENSE_KEY_DISABLED}


# ---------------------------------------------------------------- inbound events


@transaction.atomic
def billing_event_receive(
    *, event_id: str, payload: dict, received_at: datetime | None = None
) -> BillingEvent:
    """Records and applies one verified event. Returns its row: `status` failed means refused (422)."""
    received_at = received_at or timezone.now()
    if not isinstance(event_id, str) or not event_id or len(event_id) > 255 or "\x00" in event_id:
        raise DomainError(
            "EVENT_ID_INVALID", "Send the event id in the `webhook-id` header.", field="webhook-id"
        )
    inbound = events_in.parse(payload, received_at=received_at)
    event, _ = BillingEvent.objects.get_or_create(
        event_id=event_id,
        defaults=dict(
            event_type=inbound.type,
            occurred_at=inbound.occurred_at,
            payload=payload,
            status=EventStatus.FAILED,
        ),
    )
    event = BillingEvent.objects.select_for_update().get(pk=event.pk)
    if event.attempts and event.status != EventStatus.FAILED:
        return event  # a replay: already applied
    return _apply_locked(event, inbound)


@transaction.atomic
def billing_event_replay(*, event: BillingEvent) -> BillingEvent:
    """Staff apply a failed event again (after adding the missing product mapping, say)."""
    event = BillingEvent.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.FAILED:
        raise DomainError(
            "EVENT_ALREADY_PROCESSED",
            "This event has been applied already; there is nothing to replay.",
            kind=ErrorKind.CONFLICT,
        )
    return _apply_locked(event, events_in.parse(event.payload, received_at=event.occurred_at))


def _apply_locked(event: BillingEvent, inbound: events_in.InboundEvent) -> BillingEvent:
    event.attempts += 1
    try:
        with transaction.atomic():  # an unknown product writes nothing but the failed event
            handled = _apply(inbound)
    except DomainError as error:
        if error.kind != ErrorKind.UNPROCESSABLE:
            raise
        event.status, event.error_code, event.error_message = EventStatus.FAILED, error.code, error.message
    else:
        event.status = EventStatus.PROCESSED if handled else EventStatus.IGNORED
        event.error_code = event.error_message = ""
        event.processed_at = timezone.now()
    event.save(update_fields=["status", "error_code", "error_message", "processed_at", "attempts"])
    return event


def _apply(inbound: events_in.InboundEvent) -> bool:
    if inbound.type == "payment.succeeded":
        if inbound.subscription_id:
            return False  # a subscription's payment: the subscription events carry the grants
        _payment_succeeded(inbound)
    elif inbound.type == "refund.succeeded":
        _refund_succeeded(inbound)
    elif inbound.type in SUBSCRIPTION_STATUS:
        _subscription_changed(inbound)
    else:
        return False
    return True


def _policy_for(product_id: str) -> Policy:
    mapping = BillingProduct.objects.select_related("policy__product").filter(product_id=product_id).first()
    if mapping is None:
        raise DomainError(
            "PRODUCT_UNKNOWN",
            f"No policy is mapped to billing product {product_id!r}; "
            "add it under Commerce › Billing products "
            "and replay the event.",
            kind=ErrorKind.UNPROCESSABLE,
            field="product_id",
        )
    return mapping.policy


def _customer_for(email: str, name: str, *, send_invitation: bool = True) -> BillingCustomer:
    email = email.strip().lower()
    customer = BillingCustomer.objects.select_related("workspace").filter(email=email).first()
    if customer is not None:
        return customer
    try:
        with transaction.atomic():  # another purchase by the same new customer may be committing now
            workspace = account_services.workspace_create_for_billing_customer(
                name=name or email.split("@")[0], owner_email=email, send_invitation=send_invitation
            )
            return BillingCustomer.objects.create(email=email, name=name, workspace=workspace)
    except IntegrityError:
        return BillingCustomer.objects.select_related("workspace").get(email=email)


def _purchase_locked(kind: str, external_id: str, occurred_at: datetime) -> tuple[Purchase, bool]:
    """The purchase row, locked, and whether this event is newer than its state (or the first)."""
    purchase, created = Purchase.objects.get_or_create(
        kind=kind, external_id=external_id, defaults=dict(status="new", state_at=occurred_at)
    )
    purchase = (
        Purchase.objects.select_for_update(of=("self",))  # customer and policy are nullable joins
        .select_related("customer__workspace", "policy")
        .get(pk=purchase.pk)
    )
    fresh = created or (purchase.status not in FINAL_STATUSES and occurred_at >= purchase.state_at)
    return purchase, fresh


def _payment_succeeded(inbound: events_in.InboundEvent) -> None:
    policies = [(_policy_for(item.product_id), item.quantity) for item in inbound.items]
    purchase, fresh = _purchase_locked(PurchaseKind.PAYMENT, inbound.payment_id, inbound.occurred_at)
    if not fresh or purchase.grants.exists():
        return
    purchase.customer = _customer_for(inbound.customer_email, inbound.customer_name)
    purchase.status, purchase.state_at = "paid", inbound.occurred_at
    purchase.quantity = sum(quantity for _, quantity in policies)
    purchase.save()
    for policy, quantity in policies:
        for _ in range(quantity):
            _grant_issue(purchase, policy)


def _refund_succeeded(inbound: events_in.InboundEvent) -> None:
    purchase, fresh = _purchase_locked(PurchaseKind.PAYMENT, inbound.payment_id, inbound.occurred_at)
    if not fresh:
        return
    purchase.status, purchase.state_at = "refunded", inbound.occurred_at
    purchase.save(update_fields=["status", "state_at"])
    _reconcile(purchase)


def _subscription_changed(inbound: events_in.InboundEvent) -> None:
    item = inbound.items[0]
    policy = _policy_for(item.product_id)
    purchase, fresh = _purchase_locked(
        PurchaseKind.SUBSCRIPTION, inbound.subscription_id, inbound.occurred_at
    )
    if not fresh:
        return
    if purchase.customer_id is None:
        purchase.customer = _customer_for(inbound.customer_email, inbound.customer_name)
    purchase.status, purchase.state_at = SUBSCRIPTION_STATUS[inbound.type], inbound.occurred_at
    purchase.policy, purchase.quantity = policy, item.quantity
    purchase.save()
    _reconcile(purchase)


# ---------------------------------------------------------------- grants follow the purchase


def _reconcile(purchase: Purchase) -> None:
    live = list(
        purchase.grants.exclude(status=GrantStatus.REVOKED)
        .select_related("license", "policy")
        .order_by("quantity_index")
    )
    if purchase.status in END_REASONS:
        disabled = purchase.grants.filter(
            revocation_reason=RevocationReason.LICENSE_KEY_DISABLED
        ).select_related("license")
        for grant in [*live, *disabled]:  # a disabled key must not come back by being re-enabled
            _grant_revoke(grant, END_REASONS[purchase.status])
        return
    if purchase.kind != PurchaseKind.SUBSCRIPTION:
        return
    for grant in [g for g in live if g.policy_id != purchase.policy_id]:
        _grant_revoke(grant, RevocationReason.PLAN_CHANGED)
    live = [g for g in live if g.policy_id == purchase.policy_id]
    kept_revoked = purchase.grants.filter(
        policy=purchase.policy, status=GrantStatus.REVOKED, revocation_reason__in=SEAT_KEEPING_REASONS
    ).count()
    _resize(purchase, live, purchase.quantity - kept_revoked)
    live = list(
        purchase.grants.filter(policy=purchase.policy)
        .exclude(status=GrantStatus.REVOKED)
        .select_related("license")
    )
    for grant in live:
        _grant_hold(grant, on_hold=purchase.status == "on_hold")


def _resize(purchase: Purchase, live: list[Grant], seats: int) -> None:
    """Adds seats, or removes the surplus: pending and unassigned ones first, then the newest."""
    for _ in range(seats - len(live)):
        _grant_issue(purchase, purchase.policy)
    if len(live) > max(seats, 0):

        def keep_first(grant):
            assigned = grant.license is not None and grant.license.assignee_id is not None
            return (assigned, -grant.quantity_index)

        surplus = sorted(live, key=keep_first)[: len(live) - max(seats, 0)]
        for grant in surplus:
            _grant_revoke(grant, RevocationReason.PLAN_CHANGED)


def _grant_issue(purchase: Purchase, policy: Policy) -> Grant:
    grant = Grant.objects.create(
        public_id=public_id("grt"),
        purchase=purchase,
        policy=policy,
        workspace=purchase.customer.workspace,
        payment_id=purchase.external_id if purchase.kind == PurchaseKind.PAYMENT else "",
        subscription_id=purchase.external_id if purchase.kind == PurchaseKind.SUBSCRIPTION else "",
        quantity_index=purchase.grants.count(),
    )
    events.emit("grant.created", grant)
    if policy.fulfilment == "auto":
        _deliver(grant, key=None)
    return grant


def _deliver(grant: Grant, *, key: str | None, activation_limit: int | None = None, expires_at=None) -> None:
    """Creates the grant's license (a given key, or a generated one) and e-mails it to the customer."""
    try:
        with transaction.atomic():
            license, plaintext = license_services.license_create(
                policy=grant.policy,
                workspace=grant.workspace,
                key=key,
                name=f"{grant.policy} ({grant.payment_id or grant.subscription_id})"[:150],
                source=LicenseSource.AUTO if key is None else LicenseSource.MANUAL,
                expires_at=expires_at if expires_at is not None else _default_expiry(grant),
                policy_expiry=False,  # _default_expiry decides: a subscription's seat has none
                payment_id=grant.payment_id,
                subscription_id=grant.subscription_id,
                activation_limit=activation_limit,
            )
    except DomainError:
        if key is not None:
            raise  # staff supplied a bad key: tell them, the grant stays pending
        grant.status = GrantStatus.FAILED
        grant.save(update_fields=["status"])
        events.emit("grant.failed", grant)
        return
    grant.license, grant.status, grant.delivered_at = license, GrantStatus.DELIVERED, timezone.now()
    grant.save(update_fields=["license", "status", "delivered_at"])
    events.emit("grant.delivered", grant)
    _email_key(grant, license, plaintext)


def _default_expiry(grant: Grant):
    """One-time payments expire after the policy's duration; subscriptions last while they are paid."""
    if grant.subscription_id or grant.policy.duration is None:
        return None
    return timezone.now() + grant.policy.duration


def _email_key(grant: Grant, license: License, plaintext: str) -> None:
    customer = grant.purchase.customer
    context = {
        "customer": customer,
        "grant": grant,
        "license": license,
        "key": plaintext,
        "policy": grant.policy,
        "dashboard_url": f"{settings.SITE_URL}/w/{grant.workspace.slug}/",
    }
    email_send(
        to=[customer.email],
        subject=f"Your {grant.policy} license key",
        body=render_to_string("commerce/email/key_delivered.txt", context),
        html_body=render_to_string("commerce/email/key_delivered.html", context),
    )


def _grant_revoke(grant: Grant, reason: str) -> None:
    if grant.license_id is not None:
        license_services.license_revoke(license=grant.license)
    grant.status, grant.revocation_reason, grant.revoked_at = GrantStatus.REVOKED, reason, timezone.now()
    grant.on_hold = False
    grant.save(update_fields=["status", "revocation_reason", "revoked_at", "on_hold"])
    events.emit("grant.revoked", grant)


def _grant_hold(grant: Grant, *, on_hold: bool) -> None:
    """On hold suspends the license; active again reinstates what the hold suspended (nothing else)."""
    if grant.on_hold == on_hold:
        return
    license = grant.license
    if license is not None:
        if on_hold and license.status == LicenseStatus.ACTIVE:
            license_services.license_suspend(license=license, by_billing=True)
        elif not on_hold and license.status == LicenseStatus.SUSPENDED:
            license_services.license_reinstate(license=license, by_billing=True)
    grant.on_hold = on_hold
    grant.save(update_fields=["on_hold"])


# ---------------------------------------------------------------- staff


def _locked_grant(grant: Grant) -> Grant:
    return (
        Grant.objects.select_for_update(of=("self",))
        .select_related("policy__product", "workspace", "purchase__customer", "license")
        .get(pk=grant.pk)
    )


@transaction.atomic
def grant_fulfil(*, grant: Grant, key: str, activation_limit: int | None = None, expires_at=None) -> Grant:
    """Staff deliver a pending (manual-fulfilment) grant, once, with the key they supply."""
    grant = _locked_grant(grant)
    if grant.status != GrantStatus.PENDING:
        raise DomainError(
            "GRANT_ALREADY_FULFILLED",
            f"This grant is {grant.status}, not pending; only a pending grant can be fulfilled, once.",
            kind=ErrorKind.CONFLICT,
        )
    if not isinstance(key, str) or not key.strip():
        raise DomainError("KEY_INVALID", "Supply the license key to deliver.", field="key")
    _deliver(grant, key=key, activation_limit=activation_limit, expires_at=expires_at)
    return grant


@transaction.atomic
def grant_revoke(*, grant: Grant, reason: str = RevocationReason.MANUAL) -> Grant:
    """Staff revoke a grant (and its license) for good; revoking twice changes nothing."""
    if reason not in RevocationReason.values:
        raise DomainError(
            "REASON_INVALID",
            f"The reason must be one of {', '.join(RevocationReason.values)}.",
            field="reason",
        )
    grant = _locked_grant(grant)
    if grant.status != GrantStatus.REVOKED:
        _grant_revoke(grant, reason)
    return grant


@transaction.atomic
def grant_follow_license(*, license: License, disabled: bool) -> None:
    """A license disabled directly revokes its grant (license_key_disabled); re-enabling it brings
    the grant back. Licenses without a grant (staff-made, imported) are not concerned."""
    grant = Grant.objects.select_for_update().filter(license=license).first()
    if grant is None:
        return
    if disabled and grant.status == GrantStatus.DELIVERED and not grant.on_hold:
        grant.status, grant.revocation_reason = GrantStatus.REVOKED, RevocationReason.LICENSE_KEY_DISABLED
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["status", "revocation_reason", "revoked_at"])
        events.emit("grant.revoked", grant)
    elif not disabled and grant.revocation_reason == RevocationReason.LICENSE_KEY_DISABLED:
        grant.status, grant.revocation_reason, grant.revoked_at = GrantStatus.DELIVERED, "", None
        grant.save(update_fields=["status", "revocation_reason", "revoked_at"])
        events.emit("grant.delivered", grant)
