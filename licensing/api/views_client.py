"""The public client API: what the vendor's software calls when it starts.

License-key endpoints take no account credential: the key (or the activation
id) is the credential, and any Authorization header is ignored, because some
SDKs send one on every call. Auth-token endpoints read `Authorization: Bearer`.
"""

import logging

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from authtokens.api.authentication import client_ip, deprecation_headers, parse_bearer
from project.errors import DomainError, ErrorKind
from project.logs import key_last4, log_event
from project.metrics import validation_counted
from project.throttles import (
    AuthTokenThrottle,
    ClientIPThrottle,
    LicenseActivationThrottle,
    LicenseKeyThrottle,
    WindowThrottling,
)

from .. import certificates, snapshots
from ..selectors.entitlement import entitlement_is_activated, token_entitlement
from ..services import activation as services
from . import client_serializers as s
from .fast_path import FastPath

logger = logging.getLogger("keyward.client")


def _field(data, name) -> str:
    value = data.get(name) if hasattr(data, "get") else None
    return value[:50] if isinstance(value, str) else ""


def log_refusal(request, code: str, *, token=None) -> None:
    """One INFO record per refused client call: code, product, a key's or token's last 4, IP."""
    try:
        data = request.data if request.method == "POST" else request.query_params
    except Exception:  # noqa: BLE001 - a body that does not parse is the refusal being logged
        data = {}
    fields = {
        "code": code,
        "path": request.path,
        "product": _field(data, "product"),
        "ip": client_ip(request),
    }
    if token is not None:
        fields.update(token_kind=token.kind, token_last4=token.last4)
    else:
        fields["key_last4"] = key_last4(_field(data, "key") or _field(data, "license_key"))
    log_event(logger, "client.refused", **fields)


class PublicClientView(WindowThrottling, APIView):
    """No session, no token: the request body carries the credential."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientIPThrottle, LicenseKeyThrottle]

    def parse(self, serializer_class, data):
        validated = serializer_class.fast_validated(data)
        if validated is not None:
            return validated
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        code = response.data.get("code", "") if isinstance(response.data, dict) else ""
        log_refusal(self.request, code or str(response.status_code), token=getattr(self, "token", None))
        return response


# ---------------------------------------------------------------- license key flow


class LicenseValidateView(FastPath, PublicClientView):
    windows_ride_along = True
    input_serializer = s.ClientLicenseValidateInput  # an ordinary request skips DRF: see fast_path.py

    @extend_schema(request=s.ClientLicenseValidateInput, responses=s.ClientValidationOutput, tags=["client"])
    def post(self, request):
        return Response(self.answer(request, self.parse(self.input_serializer, request.data)))

    def answer(self, request, data) -> dict:
        result = services.license_key_validate(
            key=data["key"],
            fingerprint=data.get("fingerprint") or None,
            activation_id=data.get("activation_id") or None,
            product=data.get("product") or None,
            rate_windows=self.rate_windows,
        )
        validation_counted(result.code)
        if not result.valid:
            log_refusal(request, result.code)
        return s.validation_data(result)


class LicenseActivateView(PublicClientView):
    throttle_classes = [*PublicClientView.throttle_classes, LicenseActivationThrottle]

    @extend_schema(
        request=s.ClientLicenseActivateInput,
        responses={200: s.ClientLicenseActivateOutput, 201: s.ClientLicenseActivateOutput},
        tags=["client"],
    )
    def post(self, request):
        data = self.parse(s.ClientLicenseActivateInput, request.data)
        activation = services.license_key_activate(
            key=data["key"],
            name=data["name"],
            fingerprint=data["fingerprint"],
            platform=data["platform"],
            product=data.get("product") or None,
        )
        license = activation.license
        body = {
            "activated": True,
            "activation": s.activation_data(activation),
            "license": s.license_data(license),
            "certificate": activation.certificate.text,
            "certificate_expires_at": activation.certificate.expires_at,
        }
        return Response(
            body,
            status=status.HTTP_201_CREATED if activation.is_new else status.HTTP_200_OK,
        )


class LicenseDeactivateView(PublicClientView):
    @extend_schema(
        request=s.ClientLicenseDeactivateInput, responses=s.ClientLicenseDeactivateOutput, tags=["client"]
    )
    def post(self, request):
        data = self.parse(s.ClientLicenseDeactivateInput, request.data)
        services.license_key_deactivate(key=data["key"], activation_id=data["activation_id"])
        return Response(
            s.ClientLicenseDeactivateOutput(
                {"deactivated": True, "activation_id": data["activation_id"]}
            ).data
        )


class HeartbeatView(PublicClientView):
    @extend_schema(request=s.ClientHeartbeatInput, responses=s.ClientHeartbeatOutput, tags=["client"])
    def post(self, request):
        data = self.parse(s.ClientHeartbeatInput, request.data)
        activation = services.activation_heartbeat(activation_id=data["activation_id"])
        interval = activation.license.policy.heartbeat_interval
        body = {
            "activation": activation,
            "license_status": activation.license.effective_status,
            "next_heartbeat_due_at": activation.last_heartbeat_at + interval
            if interval is not None
            else None,
        }
        return Response(s.ClientHeartbeatOutput(body).data)


class PublicKeyView(PublicClientView):
    @extend_schema(responses=s.ClientPublicKeyOutput, tags=["client"])
    def get(self, request):
        keys = certificates.public_key_set()
        current = keys[0]
        body = {
            "algorithm": "Ed25519",
            "certificate_format": "cert/<base64url payload>.<base64url signature>",
            "kid": current["kid"],
            "public_key_pem": current["public_key_pem"],
            "public_key": current["public_key"],
            "keys": keys,
        }
        return Response(s.ClientPublicKeyOutput(body).data)


# ---------------------------------------------------------------- auth token flow


class TokenClientView(PublicClientView):
    """Reads `Authorization: Bearer <auth token>` itself, so every failure has the client API's codes
    (TOKEN_MISSING, TOKEN_INVALID, LEGACY_TOKEN_SUNSET) and any token kind is welcome."""

    throttle_classes = [ClientIPThrottle, AuthTokenThrottle]
    windows_ride_along = True

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raw = parse_bearer(request.META.get("HTTP_AUTHORIZATION"))
        if not raw:
            raise DomainError(
                "TOKEN_MISSING",
                "Send your auth token as `Authorization: Bearer <token>`; "
                "find it on your workspace's Auth tokens page.",
                kind=ErrorKind.UNAUTHENTICATED,
            )
        snapshot = snapshots.token_snapshot(
            raw_token=raw, ip=client_ip(request), rate_windows=self.rate_windows
        )
        self.token, self.token_licenses = snapshot.token, snapshot.licenses

    def finalize_response(self, request, response, *args, **kwargs):
        token = getattr(self, "token", None)
        if token is not None:
            for name, value in deprecation_headers(token).items():
                response.headers.setdefault(name, value)
        return super().finalize_response(request, response, *args, **kwargs)


class TokenActivateView(TokenClientView):
    @extend_schema(
        request=s.ClientTokenActivateInput,
        responses={200: s.ClientTokenActivateOutput, 201: s.ClientTokenActivateOutput},
        tags=["client"],
        auth=[{"authToken": []}],  # read by TokenClientView itself, so the schema must say so
    )
    def post(self, request):
        data = self.parse(s.ClientTokenActivateInput, request.data)
        machine = data["machine"]
        result = services.token_activate(
            token=self.token,
            product=data["product"],
            fingerprint=machine["fingerprint"],
            name=machine["name"],
            platform=machine["platform"],
            ci=data["ci"],
            licenses=self.token_licenses,
        )
        return Response(
            s.token_activation_data(result, self.token),
            status=status.HTTP_201_CREATED if result.activation.is_new else status.HTTP_200_OK,
        )


class ClientInfoView(TokenClientView):
    @extend_schema(
        parameters=[s.ClientInfoQuery],
        responses=s.ClientInfoOutput,
        tags=["client"],
        auth=[{"authToken": []}],
    )
    def get(self, request):
        query = self.parse(s.ClientInfoQuery, request.query_params)
        token = self.token
        entitlement = token_entitlement(
            token=token, product=query.get("product") or None, licenses=self.token_licenses
        )
        is_activated = entitlement_is_activated(
            entitlement,
            membership=token.membership if token.kind != "ci" else None,
            fingerprint=query.get("fingerprint", ""),
            machines=snapshots.machines_of(entitlement.license) if entitlement.usable else None,
        )
        return Response(s.client_info_data(entitlement.license, is_activated, token))
