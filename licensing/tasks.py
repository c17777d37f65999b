"""Background tasks of licensing (run by the task worker; scheduled in project/schedule.py)."""

from django_tasks import task

from licensing.counters import validation_counts_flush
from licensing.services.activation import machines_release_dead


@task()
def release_dead_machines() -> int:
    """Frees the seats of machines that missed their policy's heartbeat window."""
    return machines_release_dead()


@task()
def flush_validation_counts() -> int:
    """Adds the license validations counted in the shared client cache to the database."""
    return validation_counts_flush()
