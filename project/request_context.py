"""The address of the request being served, for the security log: services record who did what from
where with one line, without every door passing the IP down (ClientAddressMiddleware sets it)."""

from contextvars import ContextVar

_client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def current_client_ip() -> str | None:
    return _client_ip.get()


def set_client_ip(ip: str | None):
    return _client_ip.set(ip)


def reset_client_ip(token) -> None:
    _client_ip.reset(token)
