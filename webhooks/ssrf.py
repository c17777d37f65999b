"""Which URLs Keyward may post webhooks to.

Only https (http with WEBHOOK_ALLOW_HTTP, for development), and only hosts whose every address is
public: no loopback, private, link-local (cloud metadata), shared, multicast or reserved ranges,
unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES (development, and tests with a local receiver). The check
runs when an endpoint is saved and again at every delivery, which then connects to the very address
it checked (the Host header and TLS name stay the URL's), so DNS rebinding cannot slip past it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from project.errors import DomainError

MAX_URL_LENGTH = 2000


def _invalid(message: str) -> DomainError:
    return DomainError("INVALID_URL", message, field="url")


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to; [] when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        return []
    return sorted({info[4][0] for info in infos})


@dataclass(frozen=True)
class Target:
    """Where one delivery connects: the checked address itself, so DNS cannot change in between."""

    url: str  # the endpoint URL with its host replaced by the address
    host_header: str  # what the receiver sees as Host
    server_name: str  # the name TLS sends (SNI) and checks the certificate against


def pin(url: str) -> Target:
    """Resolves the endpoint URL's host once, checks every address, and aims at the first one.

    Raises DomainError when the host does not resolve or resolves to an address webhooks must not reach.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    addresses = resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    if not addresses:
        raise _invalid(f"The host {host} does not resolve; check the URL's host name.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES and not all(_is_public(a) for a in addresses):
        raise _invalid("The URL points at a private, loopback or link-local address; use a public https URL.")
    address = addresses[0]
    netloc = f"[{address}]" if ":" in address else address
    if parts.port:
        netloc += f":{parts.port}"
    return Target(
        url=urlunsplit(parts._replace(netloc=netloc)),
        host_header=parts.netloc.rpartition("@")[2],
        server_name=host,
    )


def clean_url(url) -> str:
    """Validates an endpoint URL as given by a person; returns it stripped."""
    url = str(url or "").strip()
    if not url:
        raise _invalid("Enter the URL that should receive the webhooks.")
    if len(url) > MAX_URL_LENGTH or "\x00" in url:
        raise _invalid(f"Enter a URL of at most {MAX_URL_LENGTH} characters.")
    allowed_schemes = ["https", "http"] if settings.WEBHOOK_ALLOW_HTTP else ["https"]
    try:
        URLValidator(schemes=["http", "https", "ftp", "ftps"])(url)
    except ValidationError:
        raise _invalid("Enter a valid URL, such as https://example.com/webhooks.") from None
    parts = urlsplit(url)
    if parts.scheme not in allowed_schemes:
        raise _invalid("The URL must start with https://.")
    if parts.username or parts.password:
        raise _invalid("Leave credentials out of the URL; verify the webhook signature instead.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _invalid("The URL's port must be a number from 1 to 65535.") from None
    host = parts.hostname or ""
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return url
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    # A name that does not resolve right now is accepted: every delivery checks it again.
    addresses = [str(literal)] if literal else resolve(host, port)
    if not all(_is_public(address) for address in addresses):
        raise _invalid("The URL points at a private, loopback or link-local address; use a public https URL.")
    return url
