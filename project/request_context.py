"""Who is calling and from where, for the security and vendor logs: services record who did what from
where with one line, without every door passing it down.

ClientAddressMiddleware starts a fresh context for each request (the caller's address) and drops it
when the request ends; the API's Bearer authentication adds the vendor API key when one
authenticated the request, since a key acts for nobody (`acting_user` is None) and the log must
still say which key it was. Outside a request (tasks, management commands) there is no context."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class _RequestContext:
    ip: str | None
    vendor_key_label: str | None = None


_context: ContextVar[_RequestContext | None] = ContextVar("request_context", default=None)


def request_context_start(*, ip: str | None):
    """Returns the token that `request_context_end` takes."""
    return _context.set(_RequestContext(ip=ip))


def request_context_end(token) -> None:
    _context.reset(token)


def current_client_ip() -> str | None:
    context = _context.get()
    return context.ip if context else None


def vendor_key_acting(label: str) -> None:
    context = _context.get()
    if context is not None:
        context.vendor_key_label = label


def current_vendor_key_label() -> str | None:
    context = _context.get()
    return context.vendor_key_label if context else None
