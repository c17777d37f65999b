"""Heartbeats (POST /api/v1/client/heartbeat) and `manage.py release_dead_machines`."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from licensing.models import Activation
from licensing.services.activation import machines_release_dead
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory

HEARTBEAT = "/api/v1/client/heartbeat"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("client_cache_mode")]


@pytest.fixture
def watched_license():
    return LicenseFactory(policy=PolicyFactory(heartbeat_interval=timedelta(minutes=10)))


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def test_heartbeat_records_that_the_machine_is_alive(api_client, watched_license):
    machine = ActivationFactory(license=watched_license, last_heartbeat_at=ago(minutes=9))

    response = api_client.post(
        HEARTBEAT, {"activation_id": machine.public_id}, format="json", HTTP_AUTHORIZATION="Bearer ignored"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["activation"]["id"] == machine.public_id
    assert body["license_status"] == "active"
    assert body["next_heartbeat_due_at"]
    machine.refresh_from_db()
    assert machine.last_heartbeat_at > ago(seconds=5)


def test_heartbeat_for_an_unknown_machine_is_404(api_client):
    response = api_client.post(HEARTBEAT, {"activation_id": "act_doesnotexist"}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert "activation_id" in response.json()["fields"]


@pytest.mark.parametrize("body", [{}, {"activation_id": 12}, {"activation_id": "a" * 33}])
def test_heartbeat_bad_input_names_the_field(api_client, watched_license, body):
    machine = ActivationFactory(license=watched_license, last_heartbeat_at=ago(hours=1))

    response = api_client.post(HEARTBEAT, body, format="json")

    assert response.status_code == 400
    assert "activation_id" in response.json()["fields"]
    machine.refresh_from_db()
    assert machine.last_heartbeat_at < ago(minutes=59)


def test_release_dead_machines_releases_only_silent_machines_past_the_window(watched_license):
    silent = ActivationFactory(license=watched_license, last_heartbeat_at=ago(minutes=11))
    never_beat = ActivationFactory(license=watched_license, last_heartbeat_at=None)
    Activation.objects.filter(pk=never_beat.pk).update(created_at=ago(minutes=30))
    alive = ActivationFactory(license=watched_license, last_heartbeat_at=ago(minutes=9))
    fresh = ActivationFactory(license=watched_license, last_heartbeat_at=None)
    unwatched = ActivationFactory(
        license=LicenseFactory(policy=PolicyFactory(heartbeat_interval=None)), last_heartbeat_at=ago(days=30)
    )
    output = StringIO()

    call_command("release_dead_machines", stdout=output)

    remaining = set(Activation.objects.values_list("pk", flat=True))
    assert remaining == {alive.pk, fresh.pk, unwatched.pk}
    assert silent.pk not in remaining and never_beat.pk not in remaining
    assert "Released 2 machines." in output.getvalue()


def test_a_heartbeat_keeps_a_machine_from_being_released(api_client, watched_license):
    machine = ActivationFactory(license=watched_license, last_heartbeat_at=ago(minutes=11))
    api_client.post(HEARTBEAT, {"activation_id": machine.public_id}, format="json")

    assert machines_release_dead() == 0
    assert machines_release_dead(now=timezone.now() + timedelta(minutes=11)) == 1
