"""`GET /healthz` (liveness) and `GET /readyz` (readiness) for load balancers and systemd/k8s probes.

They are answered by a middleware listed before SecurityMiddleware and CommonMiddleware, so a
probe over plain HTTP to 127.0.0.1 is neither redirected to HTTPS nor refused for its Host header.
Answers are JSON and name only which check failed, never a host, a password or an exception text
(those go to the log).
"""

import logging
import uuid

from django.core.cache import cache
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse

logger = logging.getLogger(__name__)

_migrations_known_applied = set()  # aliases; the running code's migrations cannot change until a restart


def _database(alias: str) -> str:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _migrations(alias: str) -> str:
    if alias in _migrations_known_applied:
        return "ok"
    executor = MigrationExecutor(connections[alias])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return "pending"
    _migrations_known_applied.add(alias)
    return "ok"


def _cache() -> str:
    nonce = uuid.uuid4().hex
    cache.set("keyward:readyz", nonce, timeout=10)
    return "ok" if cache.get("keyward:readyz") == nonce else "not storing"


def _run(name: str, probe, *args) -> str:
    try:
        return probe(*args)
    except Exception:  # a probe reports any failure as "unavailable"; the details go to the log
        logger.warning("readyz: the %s check failed", name, exc_info=True)
        return "unavailable"


def readiness() -> tuple[bool, dict]:
    checks = {}
    for alias in connections:
        prefix = "" if alias == "default" else f"{alias}."
        checks[f"{prefix}database"] = _run("database", _database, alias)
        checks[f"{prefix}migrations"] = (
            _run("migrations", _migrations, alias) if checks[f"{prefix}database"] == "ok" else "unknown"
        )
    checks["cache"] = _run("cache", _cache)
    return all(value == "ok" for value in checks.values()), checks


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    ready, checks = readiness()
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info.rstrip("/"))
        return probe(request) if probe else self.get_response(request)
