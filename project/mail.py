"""The one way Keyward sends e-mail. Every caller (invitations, password resets, token notices,
webhook notices) goes through `email_send`, which queues the message on commit; the task worker
sends it and retries when the SMTP server fails, so a mail problem never fails a request and a
rolled-back change sends nothing."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django_tasks import task

from project.background import enqueue_later, enqueue_on_commit

logger = logging.getLogger(__name__)


def _header_safe(subject: str) -> str:
    # A CR or LF in a workspace or token name must never make the mail backend refuse the header.
    return " ".join(subject.split())


def email_send(*, to: list[str], subject: str, body: str, html_body: str | None = None) -> None:
    """Queues one e-mail with a text body (and an optional HTML alternative) to `to`, sent after commit."""
    recipients = [address for address in to if address]
    if not recipients:
        return
    enqueue_on_commit(
        email_deliver, to=recipients, subject=_header_safe(subject), body=body, html_body=html_body
    )


@task()
def email_deliver(*, to: list[str], subject: str, body: str, html_body: str | None = None, attempt: int = 1):
    """Sends one queued e-mail; on an SMTP or network failure, queues the next attempt."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html_body:
        message.attach_alternative(html_body, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        delays = settings.EMAIL_RETRY_DELAYS
        if attempt > len(delays):
            logger.error("E-mail %r to %s given up after %d attempts: %s", subject, to, attempt, error)
            raise
        logger.warning("E-mail %r to %s failed (attempt %d), retrying: %s", subject, to, attempt, error)
        enqueue_later(
            email_deliver,
            delay_seconds=delays[attempt - 1],
            to=to,
            subject=subject,
            body=body,
            html_body=html_body,
            attempt=attempt + 1,
        )
        return "retrying"
    return "sent"
