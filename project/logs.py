"""Structured application logs: every record carries the request id (the one sent back as
X-Request-ID), and with LOG_FORMAT=json each record is one JSON object per line.

Apps log through `log_event(logger, event, **fields)`: `event` is a stable dotted name
(`client.refused`, `change.license.updated`) and the fields are plain values. Never pass a secret:
a license key appears as its last four characters (`key_last4`), a token as its kind and last four.
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

_request_id = contextvars.ContextVar("request_id", default="")

# Attributes every LogRecord has; anything else on a record came from `extra` and is a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def request_id_set(request_id: str):
    """Binds the request id to the current context (RequestIdMiddleware); returns the reset token."""
    return _request_id.set(request_id)


def request_id_reset(token) -> None:
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (empty outside a request)."""

    def filter(self, record):
        record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id and the event's fields."""

    def format(self, record):
        body = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
        }
        body.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, default=str, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """The human format, with the request id and the event's fields as key=value."""

    def format(self, record):
        line = super().format(record)
        fields = " ".join(f"{key}={value}" for key, value in vars(record).items() if key not in _STANDARD)
        request_id = getattr(record, "request_id", "")
        return f"{line}{' request_id=' + request_id if request_id else ''}{' ' + fields if fields else ''}"


def log_event(logger: logging.Logger, event: str, *, level: int = logging.INFO, **fields) -> None:
    logger.log(level, event, extra={"event": event, "request_id": _request_id.get(), **fields})


def key_last4(key) -> str:
    """The only part of a license key a log may hold."""
    return key[-4:] if isinstance(key, str) and len(key) >= 8 else ""


_changes = logging.getLogger("keyward.changes")


def log_change(action: str, **fields) -> None:
    """A sensitive change (a security-log action or a domain event), at INFO as `change.<action>`."""
    log_event(_changes, f"change.{action}", **fields)
