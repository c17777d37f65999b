"""GET /api/v1/ping: a trivial JSON endpoint.

It goes through the same stack as the client API (middleware, DRF, JSON
renderer) but touches no database, so `make bench` can compare the client
endpoints against it. Validate's ordinary requests skip DRF's dispatch
(licensing/api/fast_path.py), which ping still goes through.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class PingView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Liveness check",
        description="Answers without touching the database; also a load balancer's health check.",
        responses=inline_serializer("Ping", {"ok": serializers.BooleanField()}),
    )
    def get(self, request):
        return Response({"ok": True})
