"""A real HTTP receiver on 127.0.0.1 that verifies Standard Webhooks signatures, and endpoints aimed at it."""

import json
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.tls import self_signed_certificate
from webhooks import services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    """Answers POSTs with the scripted status codes (then 200), verifies each signature with the
    `standardwebhooks` package, and keeps the verified events once per webhook-id, in arrival order."""

    def __init__(self, port: int, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        self.port = port
        self.tls = tls
        self.url = f"{'https' if tls else 'http'}://{host}:{port}/hooks"
        self.secret = None
        self.script: list[int] = []
        self.delay = 0.0
        self.requests: list[dict] = []  # every request, verified or not
        self.events: dict[str, dict] = {}  # webhook-id -> payload, deduplicated
        self._server = None

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.handle(dict(self.headers), body)
                time.sleep(receiver.delay)
                status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"\x00oops" + b"x" * 100_000)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self.tls:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, headers: dict, body: bytes):
        try:
            payload = Webhook(self.secret).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            payload, verified = json.loads(body), False
        self.requests.append({"headers": headers, "payload": payload, "verified": verified, "body": body})
        if verified:
            self.events.setdefault(headers["webhook-id"], payload)


@pytest.fixture
def receiver():
    receivers = []

    def make(start=True, **options):
        receiver = Receiver(free_port(), **options)
        receivers.append(receiver)
        return receiver.start() if start else receiver

    yield make
    for receiver in receivers:
        receiver.stop()


@pytest.fixture
def local_webhooks(settings):
    """Lets endpoints point at the local receiver (plain http on 127.0.0.1), as development does."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_RETRY_DELAYS = [0] * 7
    settings.WEBHOOK_RETRY_JITTER = 0


@pytest.fixture
def endpoint_for(local_webhooks):
    """endpoint_for(receiver, actor, event_types) -> an endpoint aimed at the receiver."""

    def make(receiver, actor, event_types):
        endpoint, secret = services.endpoint_create(actor=actor, url=receiver.url, event_types=event_types)
        receiver.secret = secret
        return endpoint

    return make


@pytest.fixture
def localhost_tls(tmp_path, settings):
    """A self-signed certificate for "localhost": the server's TLS context, trusted by Keyward's webhooks."""
    cert_file, key_file = self_signed_certificate(tmp_path, "localhost")
    settings.WEBHOOK_TLS_CA_FILE = str(cert_file)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context
