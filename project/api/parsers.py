"""JSON parsing that turns any malformed body, however deeply nested, into a 400, and refuses NUL
characters anywhere in it (PostgreSQL stores neither them in text nor `\\u0000` in jsonb)."""

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser as DRFJSONParser

NUL = "\x00"
NUL_MESSAGE = "Text may not contain NUL (\\u0000) characters; remove them."


def nul_path(data, path: str = "") -> str | None:
    """The dotted path of the first string (or object key) holding a NUL, or None."""
    stack = [(path, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                if NUL in key:
                    return where or "body"
                stack.append((f"{where}.{key}" if where else key, item))
        elif isinstance(value, list):
            stack.extend(
                (f"{where}.{index}" if where else str(index), item) for index, item in enumerate(value)
            )
    return None


class JSONParser(DRFJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # json's C decoder gives up on deep nesting; that is the client's error
            raise ParseError("JSON nested too deeply.") from None
        where = nul_path(data)
        if where is not None:
            raise ValidationError({where or "body": [NUL_MESSAGE]})
        return data
