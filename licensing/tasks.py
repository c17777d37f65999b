"""Background tasks of licensing (run by the task worker; scheduled in project/schedule.py)."""

from django_tasks import task

from licensing.services.activation import machines_release_dead


@task()
def release_dead_machines() -> int:
    """Frees the seats of machines that missed their policy's heartbeat window."""
    return machines_release_dead()
