"""Middleware that must run before everything else (listed first in settings.MIDDLEWARE)."""

import re
import uuid

from .logs import request_id_reset, request_id_set

# A proxy's id (nginx: `proxy_set_header X-Request-ID $request_id`) is kept so both logs share it;
# anything else a client sends is replaced, so the id is always safe to log and echo.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    """Gives every request an id (`request.request_id`), sent back in `X-Request-ID` and put into the
    JSON body of an unexpected error, so an operator can find the request in the logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        bound = request_id_set(request.request_id)  # every log record of this request carries it
        try:
            response = self.get_response(request)
        finally:
            request_id_reset(bound)
        response["X-Request-ID"] = request.request_id
        return response


NUL_MESSAGE = "Query parameters may not contain NUL (\\u0000) characters; remove it from “{name}”."


def _is_json_path(path: str) -> bool:
    from project.api.errors import JSON_PATH_PREFIXES

    return path.startswith(JSON_PATH_PREFIXES)


def _refusal(request, status: int, code: str, message: str, fields: dict | None = None):
    from django.http import HttpResponse, JsonResponse

    if _is_json_path(request.path):
        return JsonResponse({"code": code, "message": message, "fields": fields or {}}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class HostileInputMiddleware:
    """Refuses, before any view runs, input no view can use: a NUL byte in the query string (PostgreSQL
    cannot compare text with it, so it used to be a 500) and, under the JSON paths, a body longer than
    DATA_UPLOAD_MAX_MEMORY_SIZE (DRF's parsers read the stream without Django's size check)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                clean = name.replace("\x00", "")
                message = NUL_MESSAGE.format(name=clean)
                return _refusal(request, 400, "INVALID", message, {clean: [message]})
        if _is_json_path(request.path) and self._too_large(request):
            from django.conf import settings

            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return _refusal(
                request, 413, "REQUEST_TOO_LARGE", f"Send a request body of at most {limit} bytes."
            )
        return self.get_response(request)

    @staticmethod
    def _too_large(request) -> bool:
        from django.conf import settings

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False
        return limit is not None and length > limit


class PermissionsPolicyMiddleware:
    """Sends settings.PERMISSIONS_POLICY (Django has no setting for this header)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class ClientAddressMiddleware:
    """Makes the caller's address (behind TRUSTED_PROXY_COUNT proxies) known to the security and vendor
    logs, in a request context that ends with the request (project/request_context.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from authtokens.api.authentication import client_ip
        from project.request_context import request_context_end, request_context_start

        token = request_context_start(ip=client_ip(request))
        try:
            return self.get_response(request)
        finally:
            request_context_end(token)
