"""A request handler for pytest-django's `live_server` that reads `Transfer-Encoding: chunked` bodies.

Django's development server ignores that header: it hands the view no body, and on a keep-alive
connection it then reads the chunks as the next request, answers them with an HTTP/0.9-style 400 (an
HTML page, no status line) and closes. Whether a client has sent its next request by then is a race:
schemathesis lost it about once in ten runs ("Connection aborted. <!DOCTYPE HTML>"). In production
nginx reads the chunked body and forwards it with a Content-Length; this does the same.
"""

import io

from django.test.testcases import QuietWSGIRequestHandler

MAX_LINE = 65536


class ChunkedBodyError(ValueError):
    pass


def read_chunked(rfile, limit: int) -> bytes:
    """The decoded body of a chunked request (RFC 9112 §7.1), trailer fields read and dropped."""
    body = bytearray()
    while True:
        line = rfile.readline(MAX_LINE + 1)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ChunkedBodyError(f"bad chunk size line {line[:40]!r}") from None
        if size < 0:
            raise ChunkedBodyError(f"bad chunk size line {line[:40]!r}")
        if len(body) + size > limit:
            raise ChunkedBodyError("chunked body too large")
        if size == 0:
            break
        chunk = rfile.read(size)
        if len(chunk) != size or rfile.readline(MAX_LINE + 1) not in (b"\r\n", b"\n"):
            raise ChunkedBodyError("truncated chunk")
        body += chunk
    while (line := rfile.readline(MAX_LINE + 1)) not in (b"\r\n", b"\n", b""):
        if len(line) > MAX_LINE:
            raise ChunkedBodyError("trailer line too long")
    return bytes(body)


class ChunkedBodyRequestHandler(QuietWSGIRequestHandler):
    max_body = 16 * 1024 * 1024

    def handle_one_request(self):
        socket_rfile = self.rfile
        try:
            super().handle_one_request()
        finally:
            self.rfile = socket_rfile  # the next request is read from the connection again

    def parse_request(self):
        if not super().parse_request():
            return False
        if self.headers.get("Transfer-Encoding", "").strip().lower() != "chunked":
            return True
        try:
            body = read_chunked(self.rfile, self.max_body)
        except ChunkedBodyError as error:
            self.send_error(400, str(error))  # sends Connection: close
            return False
        del self.headers["Transfer-Encoding"]
        del self.headers["Content-Length"]
        self.headers["Content-Length"] = str(len(body))
        self.rfile = io.BytesIO(body)  # what Django's ServerHandler reads the body from
        return True
