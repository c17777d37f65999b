"""The validate endpoint's fast path (licensing/api/fast_path.py) answers exactly what DRF's dispatch
answers: every request here is sent twice, once as it comes and once with the fast path turned off,
and the two answers must have the same status, headers and body. Ordinary requests must take the fast
path (else this proves nothing) and anything else must not.

With the shared client cache on a real Redis, as in production (the fast path needs it), committing
for real: snapshots are made stale when a transaction commits.
"""

import inspect
import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework.views import APIView

from licensing.api.views_client import LicenseValidateView
from licensing.services import licenses as license_services
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory, ProductFactory

VALIDATE = "/api/v1/licenses/validate"
JSON = "application/json"
UNCOMPARED = {"X-Request-ID"}  # a new id for every request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_client_cache")]


@pytest.fixture
def licenses(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "client_ip": "100000/min", "license_key": "100000/min"}
    policy = PolicyFactory(product=ProductFactory(code="emulator"), max_activations=3)
    good = LicenseFactory(policy=policy)
    machine = ActivationFactory(license=good, fingerprint="fp-known")
    suspended = LicenseFactory(policy=policy)
    license_services.license_suspend(license=suspended)
    return {
        "good": good.plaintext_key,
        "suspended": suspended.plaintext_key,
        "machine": machine,
    }


def send(body, *, content_type=JSON, accept=None, query=""):
    """One POST to validate with a raw body (bytes or a JSON-able value)."""
    headers = {"HTTP_ACCEPT": accept} if accept is not None else {}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return APIClient().generic("POST", VALIDATE + query, raw, content_type, **headers)


def both_ways(monkeypatch, body, **how):
    """(as it comes, through DRF's dispatch only) for the same request."""
    fast = send(body, **how)
    with monkeypatch.context() as patch:
        patch.setattr(LicenseValidateView, "ordinary_input", lambda self, request: None)
        drf = send(body, **how)
    return fast, drf


def assert_same(fast, drf):
    assert fast.status_code == drf.status_code, (fast.content, drf.content)
    assert fast.content == drf.content
    fast_headers = {name: value for name, value in fast.headers.items() if name not in UNCOMPARED}
    drf_headers = {name: value for name, value in drf.headers.items() if name not in UNCOMPARED}
    assert fast_headers == drf_headers


@pytest.fixture
def drf_dispatch_forbidden(monkeypatch):
    """Fails any request that reaches DRF's `initial`: what the fast path skips."""

    def initial(self, request, *args, **kwargs):
        raise AssertionError("went through DRF's dispatch")

    monkeypatch.setattr(APIView, "initial", initial)


# ---------------------------------------------------------------- the same answers


ORDINARY = {
    "valid on its machine": lambda k: {"key": k["good"], "fingerprint": "fp-known"},
    "by activation id": lambda k: {"key": k["good"], "activation_id": k["machine"].public_id},
    "the key alone": lambda k: {"key": f"  {k['good'].lower()}  "},
    "another machine": lambda k: {"key": k["good"], "fingerprint": "fp-other"},
    "another product": lambda k: {"key": k["good"], "product": "other-app", "fingerprint": "fp-known"},
    "suspended": lambda k: {"key": k["suspended"]},
    "unknown key": lambda k: {"key": "NOPE-NOPE-NOPE"},
    "blank optional fields": lambda k: {
        "key": k["good"],
        "fingerprint": "",
        "product": "",
        "activation_id": "",
    },
    "unknown field": lambda k: {"key": k["good"], "extra": [1, {"a": None}]},
}


@pytest.mark.parametrize("case", ORDINARY)
def test_an_ordinary_request_takes_the_fast_path_and_answers_as_drf_does(
    monkeypatch, licenses, case, drf_dispatch_forbidden
):
    body = ORDINARY[case](licenses)
    fast = send(body)
    assert fast.status_code == 200, fast.content
    monkeypatch.undo()  # DRF's dispatch back, for the comparison
    assert_same(*both_ways(monkeypatch, body))


NOT_ORDINARY = {
    "a key that is not text": ({"key": 12}, {}),
    "no key": ({"fingerprint": "fp-known"}, {}),
    "a key too long": ({"key": "K" * 500}, {}),
    "a NUL in a field": ({"key": "GOOD", "fingerprint": "a\x00b"}, {}),
    "a NUL in a field's name": ({"key": "GOOD", "a\x00": 1}, {}),
    "not an object": ([1, 2], {}),
    "not JSON": (b"{key", {}),
    "NaN": (b'{"key": "GOOD", "x": NaN}', {}),
    "UTF-16": ('{"key": "GOOD"}'.encode("utf-16"), {}),
    "a byte-order mark": (b'\xef\xbb\xbf{"key": "GOOD"}', {}),
    "an empty body": (b"", {}),
    "deep nesting": (b'{"key": "GOOD", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", {}),
    "a form": (b"key=GOOD", {"content_type": "application/x-www-form-urlencoded"}),
    "JSON with a charset": ({"key": "GOOD"}, {"content_type": "application/json; charset=utf-8"}),
    "Accept: HTML": ({"key": "GOOD"}, {"accept": "text/html"}),
    "Accept: JSON with a version": ({"key": "GOOD"}, {"accept": "application/json; indent=4"}),
    "?format=json": ({"key": "GOOD"}, {"query": "?format=json"}),
}


def _with_good_key(value, key):
    if isinstance(value, bytes):
        return value.replace(b"GOOD", key.encode())
    if isinstance(value, dict):
        return {name: key if item == "GOOD" else item for name, item in value.items()}
    return value


@pytest.mark.parametrize("case", NOT_ORDINARY)
def test_anything_else_goes_through_drf(monkeypatch, licenses, case):
    body, how = NOT_ORDINARY[case]
    body = _with_good_key(body, licenses["good"])
    with monkeypatch.context() as patch:
        taken = []
        original = APIView.initial
        patch.setattr(APIView, "initial", lambda *args, **kw: taken.append(1) or original(*args, **kw))
        send(body, **how)
    assert taken, "the fast path answered a request that is not ordinary"
    assert_same(*both_ways(monkeypatch, body, **how))


def test_over_a_rate_limit_both_ways_answer_429_throttled(settings, monkeypatch, licenses):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "license_key": "2/min"}
    body = {"key": licenses["good"], "fingerprint": "fp-known"}
    assert [send(body).status_code for _ in range(2)] == [200, 200]
    fast, drf = both_ways(monkeypatch, body)
    assert fast.status_code == drf.status_code == 429
    assert fast.json()["code"] == drf.json()["code"] == "THROTTLED"
    assert fast["Retry-After"] and drf["Retry-After"]
    assert fast.headers.keys() == drf.headers.keys()


def test_without_the_shared_cache_drf_answers(settings, monkeypatch, licenses):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with monkeypatch.context() as patch:
        taken = []
        original = APIView.initial
        patch.setattr(APIView, "initial", lambda *args, **kw: taken.append(1) or original(*args, **kw))
        assert send({"key": licenses["good"]}).json()["code"] == "VALID"
    assert taken


def test_a_refusal_on_the_fast_path_is_logged_as_drf_logs_it(monkeypatch, licenses, caplog):
    caplog.set_level(logging.INFO, logger="keyward.client")
    body = {"key": licenses["good"], "fingerprint": "fp-other"}
    fast, drf = both_ways(monkeypatch, body)
    assert fast.json()["code"] == drf.json()["code"] == "NOT_ACTIVATED"
    fields = ("event", "code", "path", "product", "ip", "key_last4")
    records = [{f: getattr(r, f, None) for f in fields} for r in caplog.records if r.name == "keyward.client"]
    assert len(records) == 2 and records[0] == records[1], records
    assert records[0]["code"] == "NOT_ACTIVATED" and records[0]["key_last4"] == licenses["good"][-4:]


# ---------------------------------------------------------------- generated requests

TEXT = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", " ", "fp-known", "fp-other", "emulator", "other-app", "act_x", "\t", "é"]),
    st.text(alphabet="ab \x00\n", min_size=30, max_size=34),  # around activation_id's 32
)
VALUE = st.one_of(TEXT, st.integers(), st.booleans(), st.none(), st.lists(st.integers(), max_size=2))
BODY = st.fixed_dictionaries(
    {},
    optional={
        "key": st.one_of(st.sampled_from(["GOOD", "SUSPENDED", " good ", "NOPE"]), VALUE),
        "fingerprint": VALUE,
        "activation_id": VALUE,
        "product": VALUE,
        "other": VALUE,
    },
)
HOW = st.fixed_dictionaries(
    {},
    optional={
        "accept": st.sampled_from(["*/*", JSON, "text/html", "application/*", "*/*;q=0.8", ""]),
        "content_type": st.sampled_from([JSON, "application/json; charset=utf-8", "text/plain"]),
        "query": st.sampled_from(["", "?format=json", "?x=1"]),
    },
)


def test_generated_requests_get_the_same_answer_both_ways(monkeypatch, licenses):
    keys = {"GOOD": licenses["good"], "SUSPENDED": licenses["suspended"], " good ": f" {licenses['good']} "}

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(BODY, HOW)
    def check(body, how):
        if isinstance(body.get("key"), str):
            body["key"] = keys.get(body["key"], body["key"])
        assert_same(*both_ways(monkeypatch, body, **how))

    check()


def test_the_documented_operation_is_the_drf_views_own():
    from drf_spectacular.generators import SchemaGenerator

    from licensing.api.views_client import PublicClientView

    operation = SchemaGenerator().get_schema(request=None, public=True)["paths"][VALIDATE]["post"]
    assert operation["description"] == inspect.cleandoc(PublicClientView.__doc__)
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ClientLicenseValidateInputRequest"
    )
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ClientValidationOutput"
    )
