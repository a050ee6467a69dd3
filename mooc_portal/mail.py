"""Outgoing mail: written to the outbox with the change that causes it, sent after the commit.

:func:`send_mail` is how every part of the portal sends mail. It writes the message to the
outbox (``mooc_portal.jobs``) in the current transaction, so a message goes out only when the
change it tells of is committed, never from inside a request, and none is lost when the mail
server is down: the job is retried with backoff. :func:`deliver_mail` is that job: through the
configured SMTP server, or to the log when none is configured.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app

from mooc_portal.appctx import current_flask_app
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


def mail_language(account: Any) -> str:
    """The language to write to ``account`` in: their preferred language where the portal
    speaks it, else the portal's default (English). Texts inside a message then fall back from
    it as pages do (:func:`mooc_portal.i18n.localized`)."""
    language = getattr(account, "preferred_language", None)
    if language is None or language not in current_app.config["MOOC_LANGUAGES"]:
        language = current_app.config["MOOC_DEFAULT_LANGUAGE"]
    return str(language)


def send_mail(to: str, subject: str, body: str, *, dedupe_key: str | None = None) -> EmailMessage:
    """Send a plain-text message to one recipient once the current transaction commits.

    ``dedupe_key`` names the occasion (``certificate:42``): a second message for the same
    occasion is not written. Returns the message as it will be sent.
    """
    from mooc_portal.jobs.services import enqueue

    key = dedupe_key or f"mail:{uuid.uuid4()}"
    message_id = make_msgid(idstring=uuid.uuid5(uuid.NAMESPACE_URL, key).hex, domain=_domain())
    payload = {"to": to, "subject": subject, "body": body, "message_id": message_id}
    message = _message(payload)
    if _suppressed.get():
        log.debug("Mail to %s not sent (suppressed): %s", to, subject)
        return message
    enqueue(
        "mail", payload, dedupe_key=f"mail:{key}" if dedupe_key else key, topic=f"mail:{to}"[:100]
    )
    return message


def _domain() -> str:
    sender = str(current_app.config["MOOC_MAIL_SENDER"])
    return sender.rsplit("@", 1)[-1].strip(" >") or "localhost"


def _message(payload: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MOOC_MAIL_SENDER"]
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Message-ID"] = payload["message_id"]
    message.set_content(payload["body"])
    return message


def deliver_mail(payload: dict[str, Any]) -> EmailMessage:
    """The ``mail`` job: hand one message to the SMTP server (or the log). Raises when the
    server cannot take it, so the job is retried; the Message-ID is the same every attempt."""
    config = current_app.config
    message = _message(payload)
    server = config["MOOC_MAIL_SERVER"]
    if server:
        with smtplib.SMTP(
            server, int(config["MOOC_MAIL_PORT"]), timeout=float(config["MOOC_MAIL_TIMEOUT"])
        ) as smtp:
            if config["MOOC_MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MOOC_MAIL_USERNAME"]:
                smtp.login(config["MOOC_MAIL_USERNAME"], config["MOOC_MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    else:
        log.info("Mail to %s: %s\n\n%s", payload["to"], payload["subject"], payload["body"])
    mail_sent.send(current_flask_app(), message=message)
    return message
