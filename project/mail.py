"""The one way Keyward sends e-mail. Every caller (invitations, token notices, account
mails) goes through `email_send`, so how mail leaves the process (today: at once through
Django's mail backend) is decided here and nowhere else."""

from django.core.mail import EmailMultiAlternatives


def _header_safe(subject: str) -> str:
    # A CR or LF in a workspace or token name must never make the mail backend refuse the header.
    return " ".join(subject.split())


def email_send(*, to: list[str], subject: str, body: str, html_body: str | None = None) -> None:
    """Sends one e-mail with a text body (and an optional HTML alternative) to `to`."""
    recipients = [address for address in to if address]
    if not recipients:
        return
    message = EmailMultiAlternatives(subject=_header_safe(subject), body=body, to=recipients)
    if html_body:
        message.attach_alternative(html_body, "text/html")
    message.send()
