"""Dodo's entitlement grants over Keyward's commerce grants.

    GET    entitlements/<product code>/grants?customer_id=&status=Pending|Delivered|Failed|Revoked
    DELETE entitlements/<product code>/grants/<grant id>     revoke (reason manual; idempotent)
    POST   grants/<grant id>/license-key {key, activations_limit?, expires_at?}   fulfil, 409 on repeat

An entitlement is a Keyward product (its code); a customer is a workspace (its slug).
"""

from django.db.models import Count
from rest_framework import serializers
from rest_framework.response import Response

from commerce import selectors as commerce_selectors
from commerce import services as commerce_services
from commerce.models import Grant, GrantStatus
from project.errors import not_found

from .serializers import (
    DODO_STATUS,
    PageInput,
    StrictCharField,
    StrictIntegerField,
    business_id,
    license_key_field,
)
from .views import StaffView, page

DODO_GRANT_STATUS = {status: status.label for status in GrantStatus}  # pending -> Pending


class GrantListInput(PageInput):
    customer_id = StrictCharField(max_length=150, required=False)
    status = serializers.ChoiceField(choices=list(DODO_GRANT_STATUS.values()), required=False)


class GrantFulfilInput(serializers.Serializer):
    key = license_key_field()
    activations_limit = StrictIntegerField(min_value=1, required=False, allow_null=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


def render_grant(grant: Grant) -> dict:
    license = grant.license
    updated = max(t for t in (grant.created_at, grant.delivered_at, grant.revoked_at) if t is not None)
    return {
        "id": grant.public_id,
        "brand_id": business_id(),
        "business_id": business_id(),
        "created_at": grant.created_at,
        "customer_id": grant.workspace.slug,
        "entitlement_id": grant.policy.product.code,
        "integration_type": "license_key",
        "metadata": {},
        "status": DODO_GRANT_STATUS[grant.status],
        "updated_at": updated,
        "delivered_at": grant.delivered_at,
        "payment_id": grant.payment_id or None,
        "subscription_id": grant.subscription_id or None,
        "revocation_reason": grant.revocation_reason or None,
        "revoked_at": grant.revoked_at,
        "license_key": None
        if license is None
        else {
            "id": license.public_id,
            "activations_used": getattr(grant, "activations_used", None) or license.activations.count(),
            "key": license.key or license.masked_key,
            "status": DODO_STATUS[license.effective_status],
            "activations_limit": license.max_activations,
            "expires_at": license.expires_at,
        },
    }


def _grant_of(entitlement_id: str, grant_id: str) -> Grant:
    grant = commerce_selectors.staff_grant_get(public_id=grant_id)
    if grant.policy.product.code != entitlement_id:
        raise not_found("grant")
    return grant


class GrantListView(StaffView):
    def get(self, request, entitlement_id):
        params = self.valid(GrantListInput, request.query_params)
        status = {label: value for value, label in DODO_GRANT_STATUS.items()}.get(params.get("status"))
        grants = commerce_selectors.staff_grant_list(status=status, product=entitlement_id).annotate(
            activations_used=Count("license__activations")
        )
        if params.get("customer_id"):
            grants = grants.filter(workspace__slug=params["customer_id"])
        return Response({"items": [render_grant(grant) for grant in page(grants, params)]})


class GrantRevokeView(StaffView):
    def delete(self, request, entitlement_id, grant_id):
        grant = commerce_services.grant_revoke(grant=_grant_of(entitlement_id, grant_id))
        return Response(render_grant(commerce_selectors.staff_grant_get(public_id=grant.public_id)))


class GrantFulfilView(StaffView):
    conflict_is_final = True  # Dodo answers a second fulfilment with 409, and so do we

    def post(self, request, grant_id):
        grant = commerce_selectors.staff_grant_get(public_id=grant_id)
        data = self.valid(GrantFulfilInput, request.data)
        commerce_services.grant_fulfil(
            grant=grant,
            key=data["key"],
            activation_limit=data.get("activations_limit"),
            expires_at=data.get("expires_at"),
        )
        return Response(render_grant(commerce_selectors.staff_grant_get(public_id=grant_id)))
