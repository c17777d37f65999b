"""The README's run-time snippet, run as it is written against a live server with a real CI token."""

import re
from pathlib import Path

import pytest

from authtokens import services as token_services
from parameters import services

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_snippet() -> str:
    section = README.read_text().split("## Parameters", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_snippet_reads_a_parameter_and_revalidates_with_its_etag(live_server, owner, monkeypatch):
    parameter = services.parameter_create(
        actor=owner, stage="prod", name="FEATURE_FLAG", value="on", is_secret=True
    )
    token = token_services.ci_token_create(actor=owner, name="app", parameter_stages=["prod"]).plaintext
    monkeypatch.setenv("KEYWARD_URL", live_server.url)
    monkeypatch.setenv("KEYWARD_WORKSPACE", "acme")
    monkeypatch.setenv("KEYWARD_AUTH_TOKEN", token)
    namespace = {}
    exec(readme_snippet(), namespace)  # noqa: S102 - the README's own code
    param, cache = namespace["param"], namespace["_cache"]

    assert param("FEATURE_FLAG") == "on"
    assert param("FEATURE_FLAG") == "on"  # within the TTL: from memory

    # Unchanged: the server answers 304, so the snippet keeps what it has cached (a marker proves it).
    ((url, (etag, _, _)),) = cache.items()
    cache[url] = (etag, "cached", -1e9)
    assert param("FEATURE_FLAG", ttl=0) == "cached"

    services.parameter_update(actor=owner, parameter=parameter, value="off")
    assert param("FEATURE_FLAG", ttl=0) == "off"
    assert cache[url][0] != etag
