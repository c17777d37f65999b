"""The task engine for real: queued rows in the database, run by django-tasks-db's worker."""

import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from accounts import services as account_services
from project.mail import email_send
from project.management.commands import run_scheduler
from project.schedule import PERIODIC_JOBS

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FlakySMTPHandler:
    """Refuses the first `refusals` messages with 451 (try again later), then accepts."""

    def __init__(self, refusals: int):
        self.refusals = refusals
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        if self.refusals > 0:
            self.refusals -= 1
            return "451 Requested action aborted: try again later"
        self.received.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    def start(refusals: int):
        handler = FlakySMTPHandler(refusals)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        servers.append(controller)
        return handler

    servers = []
    yield start
    for controller in servers:
        controller.stop()


def test_an_invitation_refused_by_smtp_is_retried_and_delivered_once(
    task_worker, smtp_server, settings, owner
):
    settings.EMAIL_RETRY_DELAYS = [0, 0, 0]
    handler = smtp_server(refusals=2)

    invitation = account_services.membership_invite(actor=owner, email="new@example.com")  # must not raise

    assert handler.received == []  # queued, not sent inside the request
    assert task_worker() == 3  # refused, refused, sent
    assert len(handler.received) == 1
    assert handler.received[0].rcpt_tos == ["new@example.com"]
    assert str(invitation.key) in handler.received[0].content.decode()
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 3


def test_an_unreachable_smtp_server_never_fails_the_request_and_waits_for_a_retry(
    task_worker, settings, owner
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.EMAIL_RETRY_DELAYS = [3600]

    account_services.membership_invite(actor=owner, email="later@example.com")
    assert task_worker() == 1  # connection refused: the next attempt is due in an hour

    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after.timestamp() > time.time() + 3000


def test_mail_of_a_rolled_back_change_is_never_queued(task_worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        email_send(to=["a@example.com"], subject="nope", body="rolled back")
        raise RuntimeError("the change failed")
    assert DBTaskResult.objects.count() == 0
    assert task_worker() == 0
    assert mail.outbox == []


def test_mail_is_queued_on_commit_and_sent_by_the_worker(task_worker):
    with transaction.atomic():
        email_send(to=["a@example.com", ""], subject="Hello\r\nthere", body="body")
        assert DBTaskResult.objects.count() == 0  # nothing before commit
    assert DBTaskResult.objects.count() == 1
    assert mail.outbox == []
    task_worker()
    assert [(m.to, m.subject) for m in mail.outbox] == [(["a@example.com"], "Hello there")]


def test_every_periodic_job_is_a_task_the_worker_runs(task_worker):
    for _cron, task_path in PERIODIC_JOBS:
        run_scheduler.enqueue_job(task_path)
    assert DBTaskResult.objects.filter(status="READY").count() == len(PERIODIC_JOBS)
    task_worker()
    results = DBTaskResult.objects.all()
    assert {r.status for r in results} == {"SUCCESSFUL"}, [r.exception_class_path for r in results]
    assert {r.task_path for r in results} == {path for _cron, path in PERIODIC_JOBS}


def test_the_schedule_parses_and_lists(capsys):
    scheduler = run_scheduler.build_scheduler()
    assert {job.id for job in scheduler.get_jobs()} == {path for _cron, path in PERIODIC_JOBS}
    call_command("run_scheduler", "--list")
    assert "licensing.tasks.release_dead_machines" in capsys.readouterr().out


def test_only_one_scheduler_holds_the_lock():
    with run_scheduler.scheduler_lock(wait=False) as first:
        assert first is True
        assert _lock_from_another_session() is False
    assert _lock_from_another_session() is True  # released with the first


def _lock_from_another_session() -> bool:
    """Another scheduler: another thread, so another database session (and file handle)."""
    from django.db import connection

    results = []

    def attempt():
        try:
            with run_scheduler.scheduler_lock(wait=False) as held:
                results.append(held)
        finally:
            connection.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return results[0]


def test_an_invitation_request_succeeds_while_the_smtp_server_is_down(
    task_worker, settings, owner, client_for
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    response = client_for(owner).post(
        "/api/v1/workspaces/acme/invitations/", {"email": "down@example.com"}, format="json"
    )
    assert response.status_code == 201
    assert DBTaskResult.objects.filter(task_path="project.mail.email_deliver").count() == 1


def test_finished_task_rows_are_pruned_after_a_week(task_worker):
    from datetime import timedelta

    from django.utils import timezone

    from project.tasks import prune_task_results

    email_send(to=["a@example.com"], subject="old", body="old")
    task_worker()
    DBTaskResult.objects.update(finished_at=timezone.now() - timedelta(days=8))
    email_send(to=["b@example.com"], subject="new", body="new")
    task_worker()
    prune_task_results.enqueue()
    task_worker()
    remaining = [r.args_kwargs["kwargs"].get("subject") for r in DBTaskResult.objects.all()]
    assert sorted(filter(None, remaining)) == ["new"]
