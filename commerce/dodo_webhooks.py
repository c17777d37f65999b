"""Dodo Payments' webhook payloads for endpoints that chose the `dodo` format (webhooks/formats.py):
`license_key.created` and `entitlement_grant.created|delivered|failed|revoked`, in the shapes the
dodopayments SDK types (LicenseKeyCreatedWebhookEvent, EntitlementGrant*WebhookEvent)."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

DODO_TYPES = {
    "license.created": "license_key.created",
    "grant.created": "entitlement_grant.created",
    "grant.delivered": "entitlement_grant.delivered",
    "grant.failed": "entitlement_grant.failed",
    "grant.revoked": "entitlement_grant.revoked",
}


def _data(event_type: str, obj) -> dict:
    from licensing.compat.dodo.grants import render_grant
    from licensing.compat.dodo.serializers import render_license_key

    if event_type == "license.created":
        return render_license_key(obj, instances_count=0)
    return render_grant(obj)


def render(event_type: str, obj) -> dict | None:
    from licensing.compat.dodo.serializers import business_id

    dodo_type = DODO_TYPES.get(event_type)
    if dodo_type is None:
        return None
    payload = {
        "business_id": business_id(),
        "type": dodo_type,
        "timestamp": timezone.now(),
        "data": _data(event_type, obj),
    }
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
