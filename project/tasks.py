"""Background tasks of the engine itself (scheduled in project/schedule.py)."""

from django.core.management import call_command
from django_tasks import task

TASK_RESULT_RETENTION_DAYS = 7
FAILED_TASK_RESULT_RETENTION_DAYS = 30  # failures stay longer: someone may be looking into them


@task()
def prune_task_results() -> None:
    """Deletes finished task rows (every queued e-mail and delivery leaves one) after a week."""
    call_command(
        "prune_db_task_results",
        queue_name="*",
        min_age_days=TASK_RESULT_RETENTION_DAYS,
        failed_min_age_days=FAILED_TASK_RESULT_RETENTION_DAYS,
        verbosity=0,
    )
