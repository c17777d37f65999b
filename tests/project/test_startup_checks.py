"""Refuse to start wrong: `check --deploy` (and the WSGI start-up with DEBUG off) fail with the fix."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from accounts.models import User
from project.checks import refuse_to_start_wrong

ROOT = Path(__file__).resolve().parents[2]
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def production(settings, monkeypatch):
    """Settings an operator following the README ends up with (the test session's signing key, SMTP mail)."""
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)  # set for the browser tests only
    settings.DEBUG = False
    settings.EMAIL_BACKEND = SMTP
    return settings


def deploy_check():
    call_command("check", deploy=True, fail_level="ERROR", stdout=open("/dev/null", "w"))


def test_production_settings_pass(production):
    deploy_check()
    refuse_to_start_wrong()


def test_no_signing_key_fails(production):
    production.SIGNING_KEY = ""

    with pytest.raises(SystemCheckError, match=r"(?s)licensing.E001.*SIGNING_KEY"):
        deploy_check()
    with pytest.raises(ImproperlyConfigured, match="licensing.E001"):
        refuse_to_start_wrong()


def test_a_redis_cache_without_the_library_fails(production, monkeypatch):
    production.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/4",
        }
    }
    monkeypatch.setitem(sys.modules, "redis", None)  # as if the library were not installed

    with pytest.raises(SystemCheckError, match=r"(?s)keyward.E002.*`redis` library"):
        deploy_check()


def test_a_redis_cache_with_the_library_passes(production):
    production.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/4",
        }
    }
    deploy_check()


@pytest.mark.parametrize(
    "backend",
    ["django.core.mail.backends.console.EmailBackend", "django.core.mail.backends.locmem.EmailBackend"],
)
def test_mail_that_never_leaves_fails_with_debug_off(production, backend):
    production.EMAIL_BACKEND = backend

    with pytest.raises(SystemCheckError, match=r"(?s)keyward.E003.*EMAIL_URL"):
        deploy_check()


def test_a_short_metrics_token_fails(production):
    production.METRICS_TOKEN = "x" * 31

    with pytest.raises(SystemCheckError, match=r"(?s)keyward.E004.*METRICS_TOKEN"):
        deploy_check()
    with pytest.raises(ImproperlyConfigured, match="keyward.E004"):
        refuse_to_start_wrong()


@pytest.mark.parametrize("token", ["", "x" * 32])
def test_no_metrics_token_or_a_long_one_passes(production, token):
    production.METRICS_TOKEN = token

    deploy_check()


def test_console_mail_is_fine_in_development(production):
    production.DEBUG = True
    production.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    deploy_check()


def test_missing_templates_fail_even_without_deploy(settings, tmp_path):
    """What a non-editable `pip install .` run from elsewhere looks like: code without templates/."""
    settings.BASE_DIR = tmp_path

    with pytest.raises(SystemCheckError, match=r"(?s)keyward.E001.*pip install -e"):
        call_command("check", stdout=open("/dev/null", "w"))


def test_the_wsgi_application_refuses_to_start_with_console_mail(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "SIGNING_KEY": "",
        "EMAIL_URL": "consolemail://",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import project.wsgi"], cwd=tmp_path, env=env, capture_output=True, text=True
    )

    assert result.returncode != 0
    assert "Keyward refuses to start" in result.stderr
    assert "licensing.E001" in result.stderr and "keyward.E003" in result.stderr


@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG=true"):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_seed_demo_still_seeds_in_development(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert User.objects.filter(email="staff@keyward.test", is_superuser=True).exists()


def test_a_local_memory_cache_with_debug_off_warns_but_starts(production):
    from project.checks import check_cache_shared

    warnings = check_cache_shared()
    assert [w.id for w in warnings] == ["keyward.W001"] and "CACHE_URL=redis://" in warnings[0].hint
    refuse_to_start_wrong()  # a warning: a single process may run this way

    production.DEBUG = True
    assert check_cache_shared() == []
