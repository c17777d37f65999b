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
