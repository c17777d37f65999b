"""Reads an inbound billing event into one plain shape, whichever format it came in.

Two formats share an envelope, `{"type", "timestamp", "data"}`:

- Dodo Payments' own webhook payloads (typed in the dodopayments SDK): a payment carries
  `product_cart: [{product_id, quantity}]`, a subscription `product_id` and `quantity`, both a
  `customer: {email, name}`; a refund only `payment_id`.
- Keyward's own, the same with `product_id` and `quantity` on a payment too.

Anything malformed is a DomainError naming the field (400): nothing is written for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.dateparse import parse_datetime

from project.errors import DomainError

PAYMENT_TYPES = {"payment.succeeded", "refund.succeeded"}
SUBSCRIPTION_TYPES = {
    "subscription.active",
    "subscription.renewed",
    "subscription.on_hold",
    "subscription.cancelled",
    "subscription.expired",
    "subscription.plan_changed",
}
HANDLED_TYPES = PAYMENT_TYPES | SUBSCRIPTION_TYPES
ID_MAX = 100
MAX_QUANTITY = 1000


@dataclass(frozen=True)
class LineItem:
    product_id: str
    quantity: int


@dataclass(frozen=True)
class InboundEvent:
    type: str
    occurred_at: datetime
    payment_id: str = ""
    subscription_id: str = ""
    customer_email: str = ""
    customer_name: str = ""
    items: list[LineItem] = field(default_factory=list)

    @property
    def handled(self) -> bool:
        return self.type in HANDLED_TYPES


def _invalid(field_name: str, message: str) -> DomainError:
    return DomainError("EVENT_INVALID", message, field=field_name)


def _text(data: dict, key: str, where: str, *, required: bool = True, limit: int = ID_MAX) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > limit or "\x00" in value:
        raise _invalid(
            f"{where}{key}", f"`{where}{key}` must be a non-empty string of up to {limit} characters."
        )
    return value.strip()


def _quantity(value, where: str) -> int:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise _invalid(where, f"`{where}` must be a whole number from 1 to {MAX_QUANTITY}.")
    return value


def _timestamp(payload: dict, fallback: datetime) -> datetime:
    raw = payload.get("timestamp")
    if raw is None:
        return fallback
    parsed = parse_datetime(raw) if isinstance(raw, str) and len(raw) <= 64 else None
    if parsed is None or parsed.tzinfo is None:
        raise _invalid("timestamp", "`timestamp` must be an ISO 8601 date and time with a time zone.")
    return parsed


def _customer(data: dict) -> tuple[str, str]:
    customer = data.get("customer")
    if not isinstance(customer, dict):
        raise _invalid("data.customer", "`data.customer` must be an object with an `email`.")
    email = _text(customer, "email", "data.customer.", limit=254)
    try:
        validate_email(email)
    except ValidationError:
        raise _invalid("data.customer.email", "`data.customer.email` must be an e-mail address.") from None
    name = _text(customer, "name", "data.customer.", required=False, limit=150)
    return email, name


def _payment_items(data: dict) -> list[LineItem]:
    cart = data.get("product_cart")
    if cart is None:
        return [
            LineItem(_text(data, "product_id", "data."), _quantity(data.get("quantity"), "data.quantity"))
        ]
    if not isinstance(cart, list) or not cart or len(cart) > 100:
        raise _invalid("data.product_cart", "`data.product_cart` must be a list of 1 to 100 items.")
    items = []
    for index, item in enumerate(cart):
        where = f"data.product_cart[{index}]."
        if not isinstance(item, dict):
            raise _invalid(where[:-1], f"`{where[:-1]}` must be an object.")
        items.append(
            LineItem(_text(item, "product_id", where), _quantity(item.get("quantity"), f"{where}quantity"))
        )
    return items


def parse(payload, *, received_at: datetime) -> InboundEvent:
    if not isinstance(payload, dict):
        raise _invalid("type", "The event must be a JSON object with `type`, `timestamp` and `data`.")
    event_type = _text(payload, "type", "", limit=64)
    occurred_at = _timestamp(payload, received_at)
    if event_type not in HANDLED_TYPES:
        return InboundEvent(type=event_type, occurred_at=occurred_at)
    data = payload.get("data")
    if not isinstance(data, dict):
        raise _invalid("data", "`data` must be an object.")
    if event_type == "refund.succeeded":
        return InboundEvent(
            type=event_type, occurred_at=occurred_at, payment_id=_text(data, "payment_id", "data.")
        )
    email, name = _customer(data)
    if event_type == "payment.succeeded":
        return InboundEvent(
            type=event_type,
            occurred_at=occurred_at,
            payment_id=_text(data, "payment_id", "data."),
            subscription_id=_text(data, "subscription_id", "data.", required=False),
            customer_email=email,
            customer_name=name,
            items=_payment_items(data),
        )
    item = LineItem(_text(data, "product_id", "data."), _quantity(data.get("quantity"), "data.quantity"))
    return InboundEvent(
        type=event_type,
        occurred_at=occurred_at,
        subscription_id=_text(data, "subscription_id", "data."),
        customer_email=email,
        customer_name=name,
        items=[item],
    )
