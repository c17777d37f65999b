"""`?format=dotenv`: NAME='value' lines that `curl ... > .env` can save as they are."""

import json

from rest_framework.renderers import BaseRenderer


def dotenv_quote(value: str) -> str:
    """Single quotes keep `$`, `#` and spaces literal (python-dotenv with interpolate=False, docker compose,
    POSIX shells for values without quotes); only `\\` and `'` are escaped, and newlines stay inside the
    quotes. A carriage return would not survive a text-mode read, so such a value is double-quoted
    with escapes instead."""
    if "\r" in value:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        return f'"{escaped}"'
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def dotenv_lines(values: dict) -> str:
    # Only the value reads are strings; any other answer asked for as dotenv (an error, a PATCH's
    # result with booleans) gets its non-string values as JSON, never a 500.
    return "".join(
        f"{name}={dotenv_quote(value if isinstance(value, str) else json.dumps(value))}\n"
        for name, value in values.items()
    )


class DotenvRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "dotenv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return dotenv_lines(data if isinstance(data, dict) else {}).encode(self.charset)
