"""The live test server keeps a keep-alive connection in step after a `Transfer-Encoding: chunked` request.

Django's development server (which `live_server` runs) ignores the header: it reads no body, so after
answering it parses the chunks as the next request, answers that with an HTTP/0.9-style 400 (no status
line) and closes. A client that has already sent its next request on the connection then reads
"<!DOCTYPE HTML>" or a reset: schemathesis reported that as "Connection aborted". requests sends such a
request whenever a form body encodes to nothing (`data={"reason": {}}`), which schemathesis's negative
bodies do. nginx in front of gunicorn reads chunked bodies; tests/live_server.py makes the test server do so.
"""

import http.client
import json
from urllib.parse import urlsplit

import pytest

from authtokens.services import developer_token_rotate
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _chunks(*parts: bytes):
    yield from parts  # an iterable with no length: http.client sends it as `Transfer-Encoding: chunked`


@pytest.fixture
def connection(live_server):
    url = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    yield connection
    connection.close()


@pytest.fixture
def staff_token(workspace):
    staff = MembershipFactory(user=UserFactory(is_staff=True), workspace=workspace)
    return developer_token_rotate(actor=staff).plaintext


def test_a_chunked_request_leaves_the_connection_ready_for_the_next_one(connection, staff_token):
    headers = {"Authorization": f"Bearer {staff_token}", "Content-Type": "application/x-www-form-urlencoded"}

    connection.request("POST", "/api/v1/staff/grants/nope/revoke/", body=_chunks(b""), headers=headers)
    first = connection.getresponse()
    first.read()
    assert first.status == 404
    assert first.getheader("Connection") != "close"

    connection.request("GET", "/healthz")  # the same connection: http.client reuses it
    second = connection.getresponse()
    second.read()
    assert second.status == 200


def test_a_chunked_body_reaches_the_view(connection, staff_token):
    headers = {"Authorization": f"Bearer {staff_token}", "Content-Type": "application/json"}
    body = json.dumps({"return_url": "https://shop.example/thanks", "payment_id": "pay_unknown"}).encode()

    chunked = _chunks(body[:10], body[10:])
    connection.request("POST", "/api/v1/staff/return-url/", body=chunked, headers=headers)
    response = connection.getresponse()

    # Without the body this is a 400 (return_url is required); with it, the view looks the payment up.
    assert response.status == 404
    assert json.loads(response.read())["code"] == "NOT_FOUND"
