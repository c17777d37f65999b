"""Security headers on every door: a Content Security Policy without inline script, Referrer-Policy,
Permissions-Policy, X-Frame-Options: DENY; and database connections checked before reuse."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def directives(response) -> dict:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/login/", "/api/v1/ping", "/admin/login/", "/api/docs/", "/nowhere/"])
def test_every_answer_carries_the_security_headers(path):
    response = Client().get(path)
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                offenders.append(f"{template}: {tag}")
        offenders += [f"{template}: {m}" for m in re.findall(r"\son[a-z]+\s*=", text)]
        offenders += [f"{template}: javascript: URL" for _ in re.findall(r"javascript:", text)]
    assert offenders == []


def test_the_api_docs_page_loads_its_script_from_a_file():
    page = Client().get("/api/docs/").content.decode()
    inline = [tag for tag in re.findall(r"<script\b[^>]*>", page) if "src=" not in tag]
    assert inline == []
    script = re.search(r'<script src="([^"]*\?script=)"', page)
    assert script and Client().get(script.group(1)).status_code == 200


def test_database_connections_are_health_checked_before_reuse():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
