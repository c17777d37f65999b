"""GET /metrics (project/metrics.py): hidden (404, like any unknown path) unless METRICS_TOKEN is set
and sent as a bearer token; validations by code, client latency by URL name, the webhook and task
backlogs read at scrape time; under gunicorn, every worker's values summed (multiprocess mode)."""

import json
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from parameters.crypto import encrypt
from project.metrics import client_cache_lookup, client_endpoint_names
from tests.deploy.servers import gunicorn, manage, production_env
from tests.licensing.factories import LicenseFactory

pytestmark = pytest.mark.django_db

TOKEN = "metrics-test-token-0123456789abcdef"
VALIDATE = "/api/v1/licenses/validate"
DODO_VALIDATE = "/compat/dodo/licenses/validate"
FAMILIES = [
    "keyward_license_validations",
    "keyward_client_cache_lookups",
    "keyward_client_request_seconds",
    "keyward_backlog_up",
    "keyward_webhook_deliveries_pending",
    "keyward_webhook_deliveries_due",
    "keyward_webhook_oldest_due_seconds",
    "keyward_webhook_deliveries_failed",
    "keyward_webhook_endpoints_disabled",
    "keyward_task_queue_ready",
]


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def parse(text: str) -> dict:
    """{(sample name, ((label, value), ...)): value} of an exposition body."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return parse(response.content.decode())


def value(samples: dict, name: str, **labels) -> float:
    """The sample's value; it must be there (a gauge that vanished is not a zero)."""
    return samples[(name, tuple(sorted(labels.items())))]


def counted(before: dict, after: dict, name: str, **labels) -> float:
    """How much a counter grew; a labelled child appears at its first increment."""
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


# ---------------------------------------------------------------- who may scrape


@pytest.mark.parametrize("authorization", [None, f"Bearer {TOKEN}", "Bearer "])
def test_metrics_is_an_unknown_path_without_the_setting(client, settings, authorization):
    settings.METRICS_TOKEN = ""
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}

    response = client.get("/metrics", **headers)

    assert response.status_code == 404
    assert b"keyward_" not in response.content


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong-token",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        f"Token {TOKEN}",
        "Bearer tökén-\u00ff",  # non-ASCII: compared as bytes, never a TypeError (500)
    ],
)
def test_a_wrong_or_missing_token_gets_the_same_404_as_an_unknown_path(client, metrics_on, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}

    response = client.get("/metrics", **headers)
    unknown = client.get("/no-such-page", **headers)

    assert response.status_code == unknown.status_code == 404
    assert response["Content-Type"] == unknown["Content-Type"]
    assert b"keyward_" not in response.content


def test_the_token_gets_every_metric_family_in_prometheus_format(client, metrics_on):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE_LATEST
    assert response["Cache-Control"] == "no-store"
    families = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert set(FAMILIES) <= families


def test_only_get_answers(client, metrics_on):
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 404


def test_a_scraper_reaches_it_over_plain_http_by_address(client, settings, metrics_on):
    """Prometheus on the private network asks gunicorn by IP over HTTP: neither the HTTPS redirect
    nor ALLOWED_HOSTS may refuse it (they still apply to everything else)."""
    settings.SECURE_SSL_REDIRECT = True
    headers = {"HTTP_HOST": "10.0.0.5:8000", "HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}

    assert client.get("/metrics", **headers).status_code == 200
    assert client.get(VALIDATE, **headers).status_code == 400  # DisallowedHost, as before


def test_metrics_is_not_in_the_openapi_schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert "metrics" not in json.dumps(json.loads(response.content)["paths"])


# ---------------------------------------------------------------- what it counts


def test_validations_are_counted_by_code_through_the_http_stack(client, api_client, metrics_on):
    license = LicenseFactory()
    before = scrape(client)

    for _ in range(2):
        api_client.post(VALIDATE, {"key": license.plaintext_key}, format="json")
    api_client.post(VALIDATE, {"key": "KW-NOPE0-NOPE0-NOPE0-NOPE0"}, format="json")
    api_client.post(DODO_VALIDATE, {"license_key": license.plaintext_key}, format="json")
    api_client.post(DODO_VALIDATE, {"license_key": "KW-NOPE1-NOPE1-NOPE1-NOPE1"}, format="json")

    after = scrape(client)
    assert counted(before, after, "keyward_license_validations_total", code="VALID") == 3
    assert counted(before, after, "keyward_license_validations_total", code="NOT_FOUND") == 2


def test_cache_lookups_are_counted_as_hits_and_misses(client, metrics_on):
    before = scrape(client)

    for hit in (True, True, True, False):
        client_cache_lookup(hit)

    after = scrape(client)
    assert counted(before, after, "keyward_client_cache_lookups_total", result="hit") == 3
    assert counted(before, after, "keyward_client_cache_lookups_total", result="miss") == 1


def test_client_requests_are_timed_under_their_url_name_and_nothing_else_is(
    client, api_client, metrics_on, owner
):
    count = "keyward_client_request_seconds_count"
    before = scrape(client)

    api_client.post(VALIDATE, {"key": "KW-NOPE0-NOPE0-NOPE0-NOPE0"}, format="json")
    api_client.post(DODO_VALIDATE, {"license_key": "KW-NOPE0-NOPE0-NOPE0-NOPE0"}, format="json")
    api_client.get("/api/v1/client/public-key")
    client.force_login(owner.user)
    assert client.get("/w/acme/").status_code == 200  # a dashboard page
    client.get("/api/v1/ping")
    client.get("/compat/dodo/license_keys")  # the vendor's back office, not a client route
    for hostile in (
        "/api/v1/licenses/validate/../../x",
        "/api/v1/client/info%00",
        "/api/v1/client/" + "a" * 300,
    ):
        client.get(hostile)

    after = scrape(client)
    timed = {labels for name, labels in after if name == count}
    assert timed == {(("endpoint", name),) for name in client_endpoint_names()}  # no label from a path
    grew = {labels[0][1] for labels in timed if after[(count, labels)] > before.get((count, labels), 0)}
    assert grew == {"client-license-validate", "dodo:licenses-validate", "client-public-key"}
    assert after[("keyward_client_request_seconds_sum", (("endpoint", "client-license-validate"),))] > 0


def test_the_latency_histogram_covers_the_client_routes():
    assert {
        "client-license-validate",
        "client-license-activate",
        "client-license-deactivate",
        "client-activate",
        "client-info",
        "client-heartbeat",
        "client-public-key",
        "dodo:licenses-activate",
        "dodo:licenses-validate",
        "dodo:licenses-deactivate",
    } == client_endpoint_names()


# ---------------------------------------------------------------- backlogs, read at scrape time


def test_the_webhook_backlog_and_failures_are_read_from_the_database(client, metrics_on, workspace):
    from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

    now = timezone.now()
    endpoint = WebhookEndpoint.objects.create(
        workspace=workspace, url="https://hooks.example.com/a", secret_encrypted=encrypt("s")
    )
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/b", secret_encrypted=encrypt("s"), enabled=False
    )
    event = WebhookEvent.objects.create(id="msg_metrics", type="license.updated", payload={})

    def delivery(status=DeliveryStatus.PENDING, next_attempt_at=None, finished_at=None):
        WebhookDelivery.objects.create(
            event=event,
            endpoint=endpoint,
            status=status,
            next_attempt_at=next_attempt_at,
            finished_at=finished_at,
        )

    delivery(next_attempt_at=now - timedelta(minutes=10))  # due for 10 minutes
    delivery(next_attempt_at=now - timedelta(seconds=5))  # due
    delivery(next_attempt_at=now + timedelta(hours=2))  # a retry waiting for its time
    delivery(status=DeliveryStatus.FAILED, finished_at=now - timedelta(hours=1))
    delivery(status=DeliveryStatus.FAILED, finished_at=now - timedelta(days=2))  # outside the 24 h window
    delivery(status=DeliveryStatus.SUCCEEDED, finished_at=now)

    samples = scrape(client)

    assert value(samples, "keyward_backlog_up") == 1
    assert value(samples, "keyward_webhook_deliveries_pending") == 3
    assert value(samples, "keyward_webhook_deliveries_due") == 2
    assert 600 <= value(samples, "keyward_webhook_oldest_due_seconds") < 700
    assert value(samples, "keyward_webhook_deliveries_failed") == 1
    assert value(samples, "keyward_webhook_endpoints_disabled") == 1


def test_an_empty_outbox_reads_zero(client, metrics_on):
    samples = scrape(client)

    assert value(samples, "keyward_webhook_deliveries_pending") == 0
    assert value(samples, "keyward_webhook_oldest_due_seconds") == 0


def test_the_task_queue_backlog_counts_tasks_due_and_not_taken(client, metrics_on, settings):
    from tests.conftest import DATABASE_TASKS
    from webhooks.tasks import webhook_logs_prune

    settings.TASKS = DATABASE_TASKS
    webhook_logs_prune.enqueue()
    webhook_logs_prune.enqueue()
    webhook_logs_prune.using(run_after=timezone.now() + timedelta(hours=1)).enqueue()  # not due yet

    assert value(scrape(client), "keyward_task_queue_ready") == 2


# ---------------------------------------------------------------- gunicorn: workers summed

STALE = """
from prometheus_client import Counter
Counter("keyward_license_validations", "", ["code"]).labels(code="NOT_FOUND").inc(1000)
"""


def _post(url: str, body: dict) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _both_workers_counted(metrics_dir) -> bool:
    """True once two processes' files each hold NOT_FOUND validations (read as prometheus-client does)."""
    per_process = []
    for path in metrics_dir.glob("counter_*.db"):
        per_process.append(
            sum(
                value
                for key, value, _, _ in MmapedDict.read_all_values_from_file(str(path))
                if json.loads(key)[1:3] == ["keyward_license_validations_total", {"code": "NOT_FOUND"}]
            )
        )
    return len([count for count in per_process if count > 0]) >= 2


@pytest.mark.django_db(False)
def test_gunicorn_workers_are_summed_in_multiprocess_mode(tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = production_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'keyward.sqlite3'}",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        RATE_LIMIT_CLIENT_IP="100000/min",
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    manage(
        {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "migrate",
        "--noinput",
        cwd=tmp_path,
    )
    # A previous run's values: gunicorn must empty the directory when it starts, or they count again.
    subprocess.run([sys.executable, "-c", STALE], env=env, check=True, timeout=60)
    assert list(metrics_dir.glob("counter_*.db"))

    with gunicorn(env, cwd=tmp_path, workers=2) as base_url:
        sent = 0
        with ThreadPoolExecutor(max_workers=6) as pool:
            # Concurrent requests until each worker has counted some (in its own counter_<pid>.db).
            while not _both_workers_counted(metrics_dir) and sent < 600:
                keys = [f"KW-{secrets.token_hex(10).upper()}" for _ in range(12)]
                statuses = list(pool.map(lambda key: _post(f"{base_url}{VALIDATE}", {"key": key}), keys))
                assert statuses == [200] * len(keys)
                sent += len(keys)
        assert _both_workers_counted(metrics_dir), "one worker answered every request"

        scrapes = []
        for _ in range(4):  # whichever worker answers, it reads both workers' files
            request = urllib.request.Request(
                f"{base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST
                scrapes.append(parse(response.read().decode()))

    for samples in scrapes:
        assert value(samples, "keyward_license_validations_total", code="NOT_FOUND") == sent
        assert (
            value(samples, "keyward_client_request_seconds_count", endpoint="client-license-validate") == sent
        )
        assert value(samples, "keyward_backlog_up") == 1
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()
