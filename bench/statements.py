"""SQL statements per request on a warm cache, for `make bench`'s table.

Run by bench/run.py after the load, with the main server's environment (same database, same Redis,
same settings), so the cache is the one the load warmed:

    python bench/statements.py --installations installations.txt --tokens tokens.txt --product bench-app

For validate (a key with its activated machine), token activation (a machine already activated) and
client info, it sends one warm-up request through Django's test Client, then counts the statements of
a second, identical one (CaptureQueriesContext). Prints one line, BENCH_STATEMENTS {"validate-repeat": n,
"activate": n, "info": n}, keyed like run.py's scenarios.
A request that does not answer as expected fails the script.
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def first_line(path: Path) -> tuple[str, str]:
    first, second = path.read_text().split("\n", 1)[0].split()
    return first, second


def count(send, expect) -> int:
    """Statements of the second of two identical requests; `expect` checks each answer."""
    expect(send())
    with CaptureQueriesContext(connection) as queries:
        expect(send())
    return len(queries)


def expect_status(status: int, check=lambda body: True):
    def expect(response):
        body = response.json()
        if response.status_code != status or not check(body):
            raise SystemExit(f"{response.request['PATH_INFO']} answered {response.status_code}: {body}")

    return expect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--installations", type=Path, required=True)
    parser.add_argument("--tokens", type=Path, required=True)
    parser.add_argument("--product", required=True)
    args = parser.parse_args()

    client = Client(HTTP_HOST="127.0.0.1")
    key, key_machine = first_line(args.installations)
    token, token_machine = first_line(args.tokens)
    bearer = {"Authorization": f"Bearer {token}"}
    activate_body = {"product": args.product, "machine": {"fingerprint": token_machine}}
    result = {
        "validate-repeat": count(
            lambda: client.post(
                "/api/v1/licenses/validate",
                {"key": key, "fingerprint": key_machine},
                content_type="application/json",
            ),
            expect_status(200, lambda body: body.get("valid") is True),
        ),
        "activate": count(
            lambda: client.post(
                "/api/v1/client/activate", activate_body, content_type="application/json", headers=bearer
            ),
            expect_status(200),
        ),
        "info": count(
            lambda: client.get("/api/v1/client/info", {"product": args.product}, headers=bearer),
            expect_status(200),
        ),
    }
    print("BENCH_STATEMENTS " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
