"""/readyz against a real gunicorn started as deploy/ does: 503 while the database is unreachable or
not migrated, 200 once it is; never a secret in the answer."""

import pytest

from .servers import free_port, get_json, gunicorn, manage, production_env


def test_readyz_answers_503_when_the_database_is_unreachable(tmp_path):
    closed_port = free_port()
    env = production_env(DATABASE_URL=f"postgres://keyward:s3cret-pw@127.0.0.1:{closed_port}/keyward")

    with gunicorn(env, cwd=tmp_path) as base_url:
        status, body, _ = get_json(f"{base_url}/readyz")
        live, _, _ = get_json(f"{base_url}/healthz")

    assert status == 503
    assert body == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "migrations": "unknown", "cache": "ok"},
    }
    assert live == 200


@pytest.mark.parametrize("migrated", [False, True])
def test_readyz_waits_for_migrations(tmp_path, migrated):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'keyward.sqlite3'}")
    if migrated:
        manage(env, "migrate", "--noinput", cwd=tmp_path)

    with gunicorn(env, cwd=tmp_path) as base_url:
        status, body, _ = get_json(f"{base_url}/readyz")

    assert (status, body["checks"]["migrations"]) == ((200, "ok") if migrated else (503, "pending"))
