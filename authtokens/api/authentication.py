"""`Authorization: Bearer <token>` for the REST API, and the rules for what each token kind may reach.

Contract for API views (see also accounts.api.base.WorkspaceAPIView):

- A developer token authenticates as its member's user (`request.user`), with
  `request.auth` set to the AuthToken. On a workspace URL it acts only in its
  own workspace: any other workspace answers 404.
- A CI token has no user: `request.user` is anonymous and `request.auth` is the
  AuthToken. It reaches only views that declare `allow_ci_token = True`; every
  other view answers 403 CI_TOKEN_NOT_ALLOWED before the view runs.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.http import http_date
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from accounts import selectors as account_selectors
from accounts.models import Membership, Workspace
from project.errors import DomainError, ErrorKind, not_found
from project.request_context import vendor_key_acting

from .. import selectors, services, tokens, vendor_keys
from ..models import AuthToken, TokenKind, VendorApiKey

KEYWORD = "bearer"


class TokenRejected(DomainError, exceptions.AuthenticationFailed):
    """A bad token. A DomainError, so the API answers with its own code (TOKEN_INVALID, LEGACY_TOKEN_SUNSET);
    an AuthenticationFailed, so DRF handles it as a failed authentication (401, anonymous request)."""

    def __init__(self, error: DomainError):
        super().__init__(error.code, error.message, kind=error.kind, field=error.field)


class CITokenForbidden(DomainError, exceptions.PermissionDenied):
    def __init__(self):
        super().__init__(
            "CI_TOKEN_NOT_ALLOWED",
            "CI tokens can only read license status and parameters; "
            "use a developer token or log in to do this.",
            kind=ErrorKind.FORBIDDEN,
        )


class VendorKeyForbidden(DomainError, exceptions.PermissionDenied):
    def __init__(self):
        super().__init__(
            "VENDOR_KEY_NOT_ALLOWED",
            "Vendor API keys reach only the staff, billing and Dodo management APIs; "
            "use a developer or CI token here.",
            kind=ErrorKind.FORBIDDEN,
        )


def request_vendor_key(request) -> VendorApiKey | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, VendorApiKey) else None


def acting_user(request):
    """The user behind a request, for `created_by`: None for a vendor API key (it is nobody's)."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class IsStaffOrVendorKey(BasePermission):
    """Staff (session or developer token), or a vendor API key; a read-only key may only read."""

    message = "Only Keyward staff and vendor API keys can use this API."

    def has_permission(self, request, view):
        key = request_vendor_key(request)
        if key is not None:
            if key.is_read_only and request.method not in ("GET", "HEAD", "OPTIONS"):
                raise DomainError(
                    "VENDOR_KEY_READ_ONLY",
                    "This vendor API key is read-only; use a read-write key to make changes.",
                    kind=ErrorKind.FORBIDDEN,
                )
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.is_active)


def parse_bearer(header: str | None) -> str | None:
    """The token in an `Authorization: Bearer <token>` header value.

    None when the header is absent or uses another scheme; "" when it is Bearer without a token.
    """
    parts = (header or "").split()
    if not parts or parts[0].lower() != KEYWORD:
        return None
    return parts[1] if len(parts) == 2 else ""


def client_ip(request) -> str | None:
    """The caller's address, for the security log and token telemetry.

    Behind TRUSTED_PROXY_COUNT reverse proxies, each appends the address it saw to
    X-Forwarded-For, so the client is that many entries from the right; anything further
    left was written by the client and cannot be trusted.
    """
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


def deprecation_headers(token: AuthToken) -> dict[str, str]:
    """Headers that warn a client its legacy token stops working at the sunset date ({} for other tokens)."""
    if not token.is_legacy or token.sunset_at is None:
        return {}
    when = f"{token.sunset_at:%Y-%m-%d}"
    fix = (
        "reset your developer token"
        if token.kind == TokenKind.DEVELOPER
        else "ask an admin for a new CI token"
    )
    return {
        "Sunset": http_date(token.sunset_at.timestamp()),
        "Warning": f'299 keyward "This legacy auth token stops working on {when}; '
        f'{fix} on the Auth tokens page."',
    }


class BearerTokenAuthentication(BaseAuthentication):
    """Resolves the token, refuses CI tokens on views that do not allow them, and counts the use."""

    def authenticate(self, request):
        raw = parse_bearer(request.META.get("HTTP_AUTHORIZATION"))
        if raw is None:
            return None  # not ours: let session authentication try
        if tokens.parse_kind(raw) == "api":
            return self._authenticate_vendor_key(request, raw)
        try:
            token = selectors.token_resolve(raw_token=raw)
        except DomainError as error:
            raise TokenRejected(error) from None
        view = (request.parser_context or {}).get("view")
        if token.is_ci and not getattr(view, "allow_ci_token", False):
            raise CITokenForbidden()
        services.token_record_use(token=token, ip=client_ip(request))
        request._request.auth_token = token  # read by DeprecationHeaderMiddleware
        user = token.membership.user if token.kind == TokenKind.DEVELOPER else AnonymousUser()
        return user, token

    def _authenticate_vendor_key(self, request, raw: str):
        """A vendor API key: no user and no workspace; only views with allow_vendor_key accept it."""
        try:
            key = vendor_keys.vendor_api_key_resolve(raw_key=raw)
        except DomainError as error:
            raise TokenRejected(error) from None
        view = (request.parser_context or {}).get("view")
        if not getattr(view, "allow_vendor_key", False):
            raise VendorKeyForbidden()
        vendor_keys.vendor_api_key_record_use(key=key, ip=client_ip(request))
        vendor_key_acting(key.log_label)  # acting_user is None: the vendor log names the key instead
        return AnonymousUser(), key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


def request_token(request) -> AuthToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, AuthToken) else None


class IsAuthenticatedOrCIToken(BasePermission):
    """The default permission: a logged-in user or a developer token, or a CI token (which the authentication
    class has already limited to views with allow_ci_token)."""

    def has_permission(self, request, view):
        if request.user and request.user.is_authenticated:
            return True
        token = request_token(request)
        return token is not None and token.is_ci


def workspace_principal(*, request, view, workspace_slug: str) -> tuple[Membership | None, Workspace]:
    """(membership, workspace) of the caller on a workspace URL, or 404.

    Session or developer token: the caller's membership (a developer token only in its own workspace).
    CI token: (None, its workspace), and only on views with allow_ci_token.
    """
    token = request_token(request)
    if token is None:
        membership = account_selectors.membership_get(user=request.user, workspace_slug=workspace_slug)
        return membership, membership.workspace
    if token.workspace.slug != workspace_slug:
        raise not_found("workspace")
    if token.is_ci:
        if not getattr(view, "allow_ci_token", False):
            raise CITokenForbidden()
        return None, token.workspace
    return token.membership, token.membership.workspace


class DeprecationHeaderMiddleware:
    """Adds deprecation_headers() to every response of a request authenticated with a legacy token."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        token = getattr(request, "auth_token", None)
        if token is not None:
            for name, value in deprecation_headers(token).items():
                response.headers.setdefault(name, value)
        return response


def refuse_auth_token(request, action: str) -> None:
    """A developer token acts inside its own workspace only: what reaches beyond it (creating a
    workspace, reading or answering invitations from other workspaces) needs a browser session."""
    if request_token(request) is not None:
        raise DomainError(
            "TOKEN_SCOPE",
            f"An auth token acts only in its own workspace, so it cannot {action}; "
            "do it from the dashboard while logged in.",
            kind=ErrorKind.FORBIDDEN,
        )
