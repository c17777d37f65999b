"""Background tasks of authtokens (run by the task worker; scheduled in project/schedule.py)."""

from django_tasks import task

from authtokens import usage


@task()
def flush_token_usage() -> int:
    """Writes the auth token uses counted in the shared client cache to the database."""
    return usage.flush()
