"""The one error type services raise.

A DomainError carries a stable machine `code` (LICENSE_NOT_ASSIGNED), a
one-sentence `message` that tells the caller how to fix it, optionally the
`field` of the input it is about, and a `kind` that front doors translate into
an HTTP status or a form error.
"""

from __future__ import annotations


class ErrorKind:
    INVALID = "invalid"  # 400: the input is wrong
    UNAUTHENTICATED = "unauthenticated"  # 401: no or bad credential
    FORBIDDEN = "forbidden"  # 403: allowed to see it, not to do it
    NOT_FOUND = "not_found"  # 404: does not exist, or not yours to see
    CONFLICT = "conflict"  # 409: the state does not allow it right now
    UNPROCESSABLE = "unprocessable"  # 422: well-formed, but refused by a rule (never retried by clients)


HTTP_STATUS = {
    ErrorKind.INVALID: 400,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.UNPROCESSABLE: 422,
}


class DomainError(Exception):
    def __init__(self, code: str, message: str, *, kind: str = ErrorKind.INVALID, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind
        self.field = field

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.kind]

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message, "fields": {}}
        if self.field:
            body["fields"] = {self.field: [self.message]}
        return body

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.message!r})"


def not_found(what: str = "object") -> DomainError:
    return DomainError("NOT_FOUND", f"No such {what}; check the identifier.", kind=ErrorKind.NOT_FOUND)


def forbidden(message: str, code: str = "PERMISSION_DENIED") -> DomainError:
    return DomainError(code, message, kind=ErrorKind.FORBIDDEN)
