"""Every API error is JSON `{"code", "message", "fields"}` with a fitting status."""

from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from project.errors import DomainError

DRF_CODES = {
    exceptions.NotAuthenticated: "NOT_AUTHENTICATED",
    exceptions.AuthenticationFailed: "AUTHENTICATION_FAILED",
    exceptions.PermissionDenied: "PERMISSION_DENIED",
    exceptions.NotFound: "NOT_FOUND",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    exceptions.Throttled: "THROTTLED",
    exceptions.ParseError: "MALFORMED_REQUEST",
}


def _flatten(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            text = _flatten(value)
            return text if key == "non_field_errors" else f"{key}: {text}"
        return ""
    if isinstance(detail, list):
        return _flatten(detail[0]) if detail else ""
    return str(detail)


def _field_errors(detail, prefix="") -> dict:
    """{"machine": {"fingerprint": ["..."]}} becomes {"machine.fingerprint": ["..."]}."""
    fields = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == "non_field_errors" and prefix:
                name = prefix  # a nested object that is wrong as a whole: name the object
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                fields.update(_field_errors(value, name))
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    fields.update(_field_errors(item, f"{name}.{index}"))
            else:
                fields[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
    return fields


def error_response(code: str, message: str, http_status: int, fields: dict | None = None, headers=None):
    return Response(
        {"code": code, "message": message, "fields": fields or {}}, status=http_status, headers=headers
    )


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return error_response(exc.code, exc.message, exc.http_status, exc.as_dict()["fields"])
    if isinstance(exc, OverflowError | DataError):
        # A safety net behind the inputs' bounds: a date or number past what Python or the database
        # holds (its transaction has rolled back) is the client's error, not a 500.
        return error_response(
            "OUT_OF_RANGE", "A date or number in the request is out of range; send a smaller one.", 400
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_errors(exc.detail) if isinstance(exc.detail, dict) else {}
        fields.pop("non_field_errors", None)
        message = _flatten(exc.detail) or "The request is invalid."
        response.data = {"code": "INVALID", "message": message, "fields": fields}
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, int(exc.wait or 1))
        response["Retry-After"] = str(wait)
        exc.detail = f"Too many requests; try again in {wait} second{'s' if wait != 1 else ''}."
    code = next((c for klass, c in DRF_CODES.items() if isinstance(exc, klass)), "ERROR")
    response.data = {"code": code, "message": _flatten(exc.detail), "fields": {}}
    return response


# Paths whose clients expect JSON even when something unexpected breaks (the API and the Dodo-compatible SDK).
JSON_PATH_PREFIXES = ("/api/", "/compat/")


def server_error(request, *args, **kwargs):
    """handler500: an unexpected error under /api/ answers JSON with the request id, never an HTML page."""
    if not request.path.startswith(JSON_PATH_PREFIXES):
        return defaults.server_error(request, *args, **kwargs)
    request_id = getattr(request, "request_id", "")
    return JsonResponse(
        {
            "code": "SERVER_ERROR",
            "message": "Something went wrong on the server; try again later, and if it keeps happening "
            f"give the operator this request id: {request_id}.",
            "fields": {},
            "request_id": request_id,
        },
        status=500,
    )


def page_not_found(request, exception=None, *args, **kwargs):
    """handler404: an unknown path under /api/ or /compat/ answers in the JSON error format."""
    if not request.path.startswith(JSON_PATH_PREFIXES):
        return defaults.page_not_found(request, exception, *args, **kwargs)
    return JsonResponse(
        {
            "code": "NOT_FOUND",
            "message": "No such endpoint; check the path against /api/schema/.",
            "fields": {},
        },
        status=404,
    )
