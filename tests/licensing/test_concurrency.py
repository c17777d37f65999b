"""The activation limit holds under concurrency (row lock on the license). PostgreSQL only:
SQLite serialises writers and ignores SELECT ... FOR UPDATE, so it proves nothing there."""

import pytest
from django.db import connection

from licensing.models import Activation
from tests.concurrency import post_in_parallel
from tests.licensing.factories import LicenseFactory, PolicyFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks need PostgreSQL; run with DATABASE_URL=postgres://... to exercise them",
    ),
]

ACTIVATE = "/api/v1/licenses/activate"


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """These tests count the activation limit under a row lock, not the hourly activation rate limit."""
    settings.RATE_LIMITS = {name: "100000/min" for name in settings.RATE_LIMITS}


def run_in_parallel(count, request_body):
    """`count` activations at the same moment; counts (status, code) of the answers."""
    return post_in_parallel(
        count,
        lambda n: (ACTIVATE, request_body(n), {}),
        outcome_of=lambda response: (response.status_code, response.json().get("code", "ok")),
    )


def test_fifty_parallel_activations_against_a_limit_of_five_leave_exactly_five():
    license = LicenseFactory(policy=PolicyFactory(max_activations=5))

    outcomes = run_in_parallel(50, lambda n: {"key": license.plaintext_key, "fingerprint": f"machine-{n}"})

    assert outcomes == {(201, "ok"): 5, (422, "ACTIVATION_LIMIT_REACHED"): 45}
    assert Activation.objects.filter(license=license).count() == 5


def test_parallel_activations_of_one_machine_make_one_activation():
    license = LicenseFactory(policy=PolicyFactory(max_activations=5))

    outcomes = run_in_parallel(20, lambda n: {"key": license.plaintext_key, "fingerprint": "same-machine"})

    assert outcomes == {(201, "ok"): 1, (200, "ok"): 19}
    assert Activation.objects.filter(license=license).count() == 1
