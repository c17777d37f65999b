"""The fast path of the validate endpoint: an ordinary request answered without DRF's dispatch.

Validation is what every start of the vendor's software calls, on every machine, and on a warm
cache DRF's dispatch around it (its Request wrapper, content negotiation, parser selection, the
throttle classes, the Response and its rendering) costs about as much as the validation itself.
Measured on this 2-vCPU machine (session 21), interleaved: in process, through Django's WSGI
handler, 7 × 1,000 warm requests, a validation took 870 µs of CPU through DRF and 715-725 µs here
(ping 323-355 µs); under wrk against gunicorn, 8 rounds, 62-66% of ping's throughput through DRF
and 67-71% here. README, Speed, has the `make bench` figures.

So an *ordinary* request, one DRF would take as JSON and answer as JSON, is answered here by the
view's own code: its input check (`InputSerializer.fast_validated`), its throttles' windows, its
`answer`, and DRF's JSONRenderer. Anything else goes through DRF's dispatch unchanged: another
method or content type, an Accept header other than JSON's, a query string (DRF's `?format=`), a
body that is not a JSON object or that the fast input check is unsure of (then the serializer
words the 400), renderers or parsers other than JSON's first (DEBUG adds the browsable API), or no
shared client cache (then DRF's throttles count before the view). An exception while answering (a
rate limit, a DomainError) becomes a response through DRF's own handle_exception and
finalize_response.

tests/licensing/test_validate_fast_path.py sends the same requests with and without this path and
compares status, headers and body.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.utils import json as drf_json

from project.api.parsers import JSONParser, nul_path
from project.client_cache import client_cache
from project.throttles import request_windows

JSON = "application/json"
ACCEPTS_JSON = (None, "*/*", JSON)  # what DRF answers with its JSON renderer, when it is the only one


@dataclass(frozen=True)
class ParsedRequest:
    """The part of DRF's Request that the client views and their throttles read, for a JSON body parsed
    here: the same attribute names, so the same code reads either."""

    method: str
    path: str
    META: dict
    data: dict


# For a client APIView with `input_serializer` (an InputSerializer) and `answer(request, data)`, which
# returns the body of its 200 (and is what its handler calls too); put it before the view's DRF
# classes. No docstring: drf-spectacular would take it for the endpoint's description.
class FastPath:
    input_serializer = None

    def dispatch(self, request, *args, **kwargs):
        data = self.ordinary_input(request)
        if data is None:
            return super().dispatch(request, *args, **kwargs)
        self.args, self.kwargs = args, kwargs
        parsed = ParsedRequest(request.method, request.path, request.META, data["raw"])
        try:
            self.rate_windows = request_windows(self.get_throttles(), parsed, self)
            body = self.answer(parsed, data["validated"])
            wait = self.pending_windows_wait()
            if wait is not None:
                raise exceptions.Throttled(wait)
        except Exception as exc:  # noqa: BLE001 - DRF's handler decides, as in its own dispatch
            return self._drf_response_to(request, exc)
        response = HttpResponse(JSONRenderer().render(body, JSON), content_type=JSON)
        response.headers["Allow"] = ", ".join(self.allowed_methods)  # as DRF's finalize_response
        return response

    def ordinary_input(self, request) -> dict | None:
        """{"raw": the JSON object, "validated": the input} of an ordinary request, else None. The body is
        read as DRF's first parser, Keyward's JSONParser, reads it (strict JSON, no NUL anywhere)."""
        meta = request.META
        if (
            request.method != "POST"
            or request.content_type != JSON
            or request.content_params
            or meta.get("HTTP_ACCEPT") not in ACCEPTS_JSON
            or meta.get("QUERY_STRING")
            or tuple(self.renderer_classes) != (JSONRenderer,)
            or self.parser_classes[0] is not JSONParser
            or client_cache() is None
        ):
            return None
        try:
            raw = drf_json.loads(request.body.decode())  # DRF's strict JSON: no NaN or Infinity
        except (ValueError, RecursionError, RequestDataTooBig):  # bad UTF-8 is a ValueError too
            return None
        if type(raw) is not dict or nul_path(raw) is not None:
            return None
        validated = self.input_serializer.fast_validated(raw)
        return None if validated is None else {"raw": raw, "validated": validated}

    def _drf_response_to(self, request, exc):
        """What DRF's dispatch answers when its handler raises `exc`."""
        drf_request = self.initialize_request(request, *self.args, **self.kwargs)
        self.request, self.headers = drf_request, self.default_response_headers
        self.format_kwarg = self.get_format_suffix(**self.kwargs)
        drf_request.accepted_renderer, drf_request.accepted_media_type = self.perform_content_negotiation(
            drf_request
        )
        return self.finalize_response(drf_request, self.handle_exception(exc), *self.args, **self.kwargs)
