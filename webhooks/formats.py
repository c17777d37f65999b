"""Payload formats an endpoint may choose (WebhookEndpoint.payload_format).

Keyward's own is the event's payload. Any other format renders the same change in another
system's shape, so that system's existing webhook handler keeps working. Adding a format is one
entry in RENDERERS: a function (event_type, obj) -> the whole payload, or None when that format has
no such event (the endpoint then gets Keyward's payload).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

KEYWARD = "keyward"
RENDERERS: dict[str, str] = {
    "dodo": "commerce.dodo_webhooks.render",  # Dodo Payments' license_key.* and entitlement_grant.*
}


def _renderer(name: str) -> Callable[[str, object], dict | None]:
    module, _, function = RENDERERS[name].rpartition(".")
    return getattr(import_module(module), function)


def render_alternates(formats: set[str], event_type: str, obj) -> dict:
    """{format: payload} for the formats (other than Keyward's) that have this event."""
    alternates = {}
    for name in sorted(formats - {KEYWARD}):
        if name in RENDERERS and obj is not None:
            payload = _renderer(name)(event_type, obj)
            if payload is not None:
                alternates[name] = payload
    return alternates


def payload_for(event, endpoint) -> dict:
    return (event.alternates or {}).get(endpoint.payload_format) or event.payload
