"""REST API for auth tokens, the security log and secret scanning leak reports.

Views translate only: they parse input, call a service or selector and render.
The plaintext of a token appears only in the response to create or rotate.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.api.base import WorkspaceAPIView
from project.api.inputs import validated_input
from project.throttles import ClientIPThrottle

from .. import leaks, selectors, services
from ..services import IssuedToken
from .authentication import client_ip
from .serializers import (
    CITokenCreateInputSerializer,
    CITokenUpdateInputSerializer,
    IssuedTokenOutputSerializer,
    LeakReportItemOutputSerializer,
    SecurityEventOutputSerializer,
    TokenDetailOutputSerializer,
    TokenOutputSerializer,
)

TAG = ["auth tokens"]


def _issued(issued: IssuedToken, http_status=status.HTTP_200_OK) -> Response:
    data = TokenOutputSerializer(issued.token).data | {
        "token": issued.plaintext
    }  # IssuedTokenOutputSerializer
    return Response(data, status=http_status, headers={"Cache-Control": "no-store"})


def _detail(token, viewer) -> dict:
    token.daily_usage = selectors.token_daily_usage(viewer=viewer, token=token)
    return TokenDetailOutputSerializer(token).data


class DeveloperTokenView(WorkspaceAPIView):
    @extend_schema(
        tags=TAG,
        summary="Your developer token in this workspace (masked), with its usage",
        responses={200: TokenDetailOutputSerializer},
    )
    def get(self, request, workspace_slug):
        token = selectors.developer_token_get(membership=self.membership)
        return Response(_detail(token, self.membership))


class DeveloperTokenRotateView(WorkspaceAPIView):
    @extend_schema(
        tags=TAG,
        summary="Reset your developer token: the old one stops working now",
        request=None,
        responses={200: IssuedTokenOutputSerializer},
    )
    def post(self, request, workspace_slug):
        return _issued(services.developer_token_rotate(actor=self.membership, ip=client_ip(request)))


class CITokenListView(GenericAPIView, WorkspaceAPIView):
    filter_backends = ()

    @extend_schema(
        tags=TAG,
        summary="The workspace's live CI tokens (any member may list them)",
        responses={200: TokenOutputSerializer(many=True)},
    )
    def get(self, request, workspace_slug):
        include_revoked = request.query_params.get("include_revoked") in ("1", "true")
        queryset = selectors.ci_token_list(
            workspace=self.workspace,
            include_revoked=include_revoked,
            search=request.query_params.get("search", ""),
        )
        page = self.paginate_queryset(queryset)
        hide_usage = not permissions.may_view_usage(self.membership)
        return self.get_paginated_response(
            TokenOutputSerializer(page, many=True, context={"hide_usage": hide_usage}).data
        )

    @extend_schema(
        tags=TAG,
        summary="Create a CI token (needs manage_ci_tokens); the value is in this response only",
        request=CITokenCreateInputSerializer,
        responses={201: IssuedTokenOutputSerializer},
    )
    def post(self, request, workspace_slug):
        data = validated_input(CITokenCreateInputSerializer, request.data)
        issued = services.ci_token_create(actor=self.membership, ip=client_ip(request), **data)
        return _issued(issued, status.HTTP_201_CREATED)


class CITokenMixin:
    def get_token(self):
        return selectors.ci_token_get(workspace=self.workspace, public_id=self.kwargs["token_id"])


class CITokenDetailView(CITokenMixin, WorkspaceAPIView):
    @extend_schema(
        tags=TAG,
        summary="A CI token (masked) with its usage for the last 30 days (needs view_usage)",
        responses={200: TokenDetailOutputSerializer},
    )
    def get(self, request, workspace_slug, token_id):
        return Response(_detail(self.get_token(), self.membership))

    @extend_schema(
        tags=TAG,
        summary="Rename or relabel a CI token (needs manage_ci_tokens)",
        request=CITokenUpdateInputSerializer,
        responses={200: TokenOutputSerializer},
    )
    def patch(self, request, workspace_slug, token_id):
        data = validated_input(CITokenUpdateInputSerializer, request.data)
        services.ci_token_update(actor=self.membership, token=self.get_token(), ip=client_ip(request), **data)
        return Response(TokenOutputSerializer(self.get_token()).data)

    @extend_schema(
        tags=TAG,
        summary="Revoke a CI token for good (needs manage_ci_tokens)",
        responses={204: OpenApiResponse(description="Revoked.")},
    )
    def delete(self, request, workspace_slug, token_id):
        services.ci_token_revoke(actor=self.membership, token=self.get_token(), ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CITokenRotateView(CITokenMixin, WorkspaceAPIView):
    @extend_schema(
        tags=TAG,
        summary="Rotate a CI token: the old value stops working now",
        request=None,
        responses={200: IssuedTokenOutputSerializer},
    )
    def post(self, request, workspace_slug, token_id):
        return _issued(
            services.ci_token_rotate(actor=self.membership, token=self.get_token(), ip=client_ip(request))
        )


class CITokenRevokeView(CITokenMixin, WorkspaceAPIView):
    @extend_schema(
        tags=TAG,
        summary="Revoke a CI token for good (same as DELETE)",
        request=None,
        responses={200: TokenOutputSerializer},
    )
    def post(self, request, workspace_slug, token_id):
        services.ci_token_revoke(actor=self.membership, token=self.get_token(), ip=client_ip(request))
        return Response(TokenOutputSerializer(self.get_token()).data)


class SecurityLogView(GenericAPIView, WorkspaceAPIView):
    filter_backends = ()

    @extend_schema(
        tags=TAG,
        summary="The workspace's security log (admins and owners)",
        responses={200: SecurityEventOutputSerializer(many=True)},
    )
    def get(self, request, workspace_slug):
        queryset = selectors.security_event_list(
            viewer=self.membership, action=request.query_params.get("action", "")
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(SecurityEventOutputSerializer(page, many=True).data)


class LeakReportView(APIView):
    """GitHub secret scanning partner endpoint: signed by the partner, not by a Keyward user."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (ClientIPThrottle,)

    @extend_schema(
        tags=["secret scanning"],
        summary="Report leaked tokens (signed ECDSA P-256 / SHA-256)",
        request={"application/json": {"type": "array", "items": {"type": "object"}}},
        responses={200: LeakReportItemOutputSerializer(many=True)},
    )
    def post(self, request):
        body = request.body  # the raw bytes the signature covers, before any parsing
        leaks.verify_signature(
            body=body,
            key_id=request.headers.get(leaks.KEY_ID_HEADER),
            signature_b64=request.headers.get(leaks.SIGNATURE_HEADER),
        )
        items = leaks.parse_report(body)
        results = services.leak_report_process(reports=items, ip=client_ip(request))
        return Response(LeakReportItemOutputSerializer(results, many=True).data)
