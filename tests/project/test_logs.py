"""Structured logs: refused client calls and sensitive changes at INFO, each with the request id
that is also sent back as X-Request-ID, JSON with LOG_FORMAT=json, never a secret."""

import json
import logging

import pytest

from accounts import services as account_services
from project.logs import JsonFormatter, PlainFormatter
from tests.licensing.factories import LicenseFactory, PolicyFactory, ProductFactory

pytestmark = pytest.mark.django_db


def records(caplog, event):
    return [record for record in caplog.records if getattr(record, "event", "") == event]


def test_a_refused_activation_is_logged_with_the_request_id_and_no_key(api_client, caplog, workspace):
    policy = PolicyFactory(product=ProductFactory(code="emulator"), max_activations=1)
    license = LicenseFactory(policy=policy, workspace=workspace, status="suspended")
    caplog.set_level(logging.INFO)
    body = {"key": license.plaintext_key, "name": "box", "fingerprint": "fp", "product": "emulator"}
    response = api_client.post("/api/v1/licenses/activate", body, format="json", REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 422
    (record,) = records(caplog, "client.refused")
    assert record.levelno == logging.INFO and record.request_id == response.headers["X-Request-ID"]
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "client.refused" and line["code"] == "LICENSE_SUSPENDED"
    assert line["product"] == "emulator" and line["key_last4"] == license.plaintext_key[-4:]
    assert line["ip"] == "198.51.100.7" and line["request_id"] == response.headers["X-Request-ID"]
    assert license.plaintext_key not in JsonFormatter().format(record)
    assert license.plaintext_key not in PlainFormatter("%(message)s").format(record)


def test_an_invalid_validation_and_a_bad_token_are_logged(api_client, caplog):
    caplog.set_level(logging.INFO)
    api_client.post("/api/v1/licenses/validate", {"key": "NO-SUCH-KEY-1234"}, format="json")
    api_client.post("/api/v1/client/activate", {}, format="json", HTTP_AUTHORIZATION="Bearer kw_dev_nope")
    assert [record.code for record in records(caplog, "client.refused")] == ["NOT_FOUND", "TOKEN_INVALID"]


def test_a_sensitive_change_is_logged_with_the_request_id(client_for, caplog, admin, member):
    caplog.set_level(logging.INFO)
    response = client_for(admin).delete(f"/api/v1/workspaces/acme/members/{member.pk}/")
    assert response.status_code == 204
    events = {record.event: record for record in caplog.records if getattr(record, "event", "")}
    assert {"change.token_ended", "change.member.removed"} <= set(events)
    assert events["change.member.removed"].request_id == response.headers["X-Request-ID"]
    assert events["change.token_ended"].actor == "admin@acme.test"


def test_logs_outside_a_request_have_an_empty_request_id(caplog, admin, member):
    caplog.set_level(logging.INFO)
    account_services.membership_remove(actor=admin, membership=member)
    assert {record.request_id for record in caplog.records if getattr(record, "event", "")} == {""}
