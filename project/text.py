"""One rule for the names people give things (workspaces, tokens, labels, products): printable text.

A CR or LF in a name once ended up in e-mail subjects and headers; a NUL cannot be stored in
PostgreSQL; tabs and other control characters only hide what a name says. So every service that
accepts a name asks `refuse_control_characters` first, and every door gets the same 400.
"""

import unicodedata

from project.errors import DomainError


def has_control_characters(value: str) -> bool:
    # Cc: C0 and C1 controls (NUL, CR, LF, TAB, ESC, ...); Cf would also catch emoji joiners, so not it.
    return any(unicodedata.category(char) == "Cc" for char in value)


def refuse_control_characters(value: str, *, field: str = "name", what: str = "The name") -> str:
    if has_control_characters(value or ""):
        raise DomainError(
            "CONTROL_CHARACTERS",
            f"{what} may not contain line breaks, tabs or other control characters; type it on one line.",
            field=field,
        )
    return value
