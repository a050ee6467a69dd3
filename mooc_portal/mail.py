"""Outgoing mail: through the configured SMTP server, or to the log when none is configured."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from email.message import EmailMessage

from flask import current_app

from mooc_portal.signals import mail_sent

log = logging.getLogger("mooc_portal.mail")

_suppressed: ContextVar[bool] = ContextVar("mooc_mail_suppressed", default=False)


@contextmanager
def mail_suppressed() -> Iterator[None]:
    """Send no mail inside this block (made-up data such as the demo's needs none)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def send_mail(to: str, subject: str, body: str) -> EmailMessage:
    """Send a plain-text message to one recipient and return it."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MOOC_MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if _suppressed.get():
        log.debug("Mail to %s not sent (suppressed): %s", to, subject)
        return message
    server = config["MOOC_MAIL_SERVER"]
    if server:
        with smtplib.SMTP(server, int(config["MOOC_MAIL_PORT"]), timeout=10) as smtp:
            if config["MOOC_MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MOOC_MAIL_USERNAME"]:
                smtp.login(config["MOOC_MAIL_USERNAME"], config["MOOC_MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    else:
        log.info("Mail to %s: %s\n\n%s", to, subject, body)
    mail_sent.send(current_app._get_current_object(), message=message)
    return message
