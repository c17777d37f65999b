"""Small helpers around the task engine (django.tasks API), shared by every app's tasks."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks.base import Task

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task, **kwargs) -> None:
    """Enqueues `task` once the surrounding transaction commits (at once outside one).

    robust: a queue that cannot take the task is logged, never raised into the request that
    already committed its change.
    """
    transaction.on_commit(lambda: task.enqueue(**kwargs), robust=True)


def enqueue_later(task: Task, *, delay_seconds: float, **kwargs) -> None:
    """Enqueues `task` to run after `delay_seconds` (at once on a backend that cannot defer)."""
    if task.get_backend().supports_defer and delay_seconds > 0:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay_seconds))
    task.enqueue(**kwargs)


def task_backlog() -> int:
    """Staff-level, for GET /metrics: queued tasks whose time has come and that no worker has taken
    yet (django-tasks-db's own `ready()`, served by its partial index on READY rows)."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().count()
