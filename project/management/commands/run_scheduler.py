"""Enqueues the periodic jobs of project/schedule.py on their cron schedules.

Exactly one scheduler may enqueue at a time, or every job would run twice. On PostgreSQL each
scheduler asks for a session advisory lock: the one that holds it schedules, any other waits and
takes over when the first one stops. Elsewhere (SQLite: one machine) a file lock does the same.
"""

import fcntl
import logging
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils.module_loading import import_string

from project.schedule import PERIODIC_JOBS

logger = logging.getLogger("project.scheduler")

ADVISORY_LOCK_KEY = 7_460_277_001  # any constant shared by every Keyward scheduler
RETRY_LOCK_SECONDS = 15


def enqueue_job(task_path: str) -> None:
    import_string(task_path).enqueue()
    logger.info("Enqueued periodic job %s", task_path)


def build_scheduler() -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC")
    for cron, task_path in PERIODIC_JOBS:
        import_string(task_path)  # fail at start, not at the first tick, on a typo
        scheduler.add_job(
            enqueue_job,
            CronTrigger.from_crontab(cron, timezone="UTC"),
            args=[task_path],
            id=task_path,
            max_instances=1,
            coalesce=True,  # after downtime, run a missed job once, not once per missed tick
            misfire_grace_time=60,
        )
    return scheduler


def _lock_file() -> Path:
    """Beside the SQLite file (one machine shares it), else in the temporary directory."""
    database = Path(str(settings.DATABASES["default"]["NAME"]))
    if database.parent.is_dir() and database.name not in ("", ":memory:"):
        return database.with_name(database.name + ".scheduler-lock")
    return Path(tempfile.gettempdir()) / "keyward-scheduler.lock"


def _try_lock() -> object | None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            return connection if cursor.fetchone()[0] else None
    handle = open(_lock_file(), "w")  # noqa: SIM115 - held while scheduling
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


@contextmanager
def scheduler_lock(wait: bool = True):
    """Holds the one-scheduler lock for the duration of the block (waits for it if `wait`)."""
    holder = _try_lock()
    while holder is None and wait:
        logger.info("Another scheduler is running; waiting to take over.")
        time.sleep(RETRY_LOCK_SECONDS)
        holder = _try_lock()
    try:
        yield holder is not None
    finally:
        if holder is connection:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
        elif holder is not None:
            holder.close()


class Command(BaseCommand):
    help = "Enqueue Keyward's periodic jobs on their schedules (run exactly one; others wait as standby)."

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="Print the schedule and exit.")

    def handle(self, *args, list=False, **options):
        scheduler = build_scheduler()
        if list:
            for cron, task_path in PERIODIC_JOBS:
                self.stdout.write(f"{cron:<15} {task_path}")
            return
        # The advisory lock lives in this connection's session: it must stay open while scheduling.
        connection.close_if_unusable_or_obsolete()
        with scheduler_lock():
            self.stdout.write(f"Scheduling {len(PERIODIC_JOBS)} periodic jobs (Ctrl-C to stop).")
            try:
                scheduler.start()
            except (KeyboardInterrupt, SystemExit):
                pass
