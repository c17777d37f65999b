"""/healthz and /readyz answer JSON, over plain HTTP and whatever the Host header (in-process part;
an unreachable database and missing migrations are tested against a real server in tests/deploy)."""

import pytest
from django.test import Client


@pytest.fixture
def strict(settings):
    """Production's HTTPS redirect and host list: what a probe to 127.0.0.1 over HTTP meets."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["keyward.example.com"]
    return Client(HTTP_HOST="10.1.2.3:8000")


def test_ordinary_pages_are_redirected_or_refused(strict):
    assert strict.get("/api/v1/ping").status_code == 400  # DisallowedHost


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(strict, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = strict.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_readyz_checks_database_migrations_and_cache(strict):
    response = strict.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "cache": "ok"},
    }


@pytest.mark.django_db
def test_readyz_answers_503_when_the_cache_does_not_answer(strict, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    response = strict.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "unavailable"
    assert "127.0.0.1" not in response.content.decode()
