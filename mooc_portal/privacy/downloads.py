""" "My data" for large accounts: the document is built by a background job, not in a request.

The learner asks for it (:func:`request_data_download`); the worker builds the same document as
the page (:func:`mooc_portal.privacy.export.personal_data`), keeps it gzipped in the database so
that every host serves it, logs the handled access request and tells the learner by mail
(through the outbox) and on the "my data" page. It can be downloaded only while signed in as
that learner, until it expires (``MOOC_DATA_DOWNLOAD_DAYS``); retention then deletes it.
"""

from __future__ import annotations

import gzip
import json
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from mooc_portal.accounts.models import Account, LoginAttempt
from mooc_portal.db import rowcount, session, utcnow
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.errors import NotFound
from mooc_portal.privacy.models import DataDownload
from mooc_portal.progress.models import LessonCompletion


def built_in_background(account: Account) -> bool:
    """Whether the account's data is too large to gather while a request waits: more rows of
    enrolments, lessons completed and log-in attempts than ``MOOC_DATA_DOWNLOAD_INLINE_ROWS``."""
    limit = int(current_app.config["MOOC_DATA_DOWNLOAD_INLINE_ROWS"])
    enrolments = select(Enrollment.id).where(Enrollment.account_id == account.id)
    rows = (
        (session.scalar(select(func.count()).select_from(enrolments.subquery())) or 0)
        + (
            session.scalar(
                select(func.count(LessonCompletion.id)).where(
                    LessonCompletion.enrollment_id.in_(enrolments)
                )
            )
            or 0
        )
        + (
            session.scalar(
                select(func.count(LoginAttempt.id)).where(LoginAttempt.email == account.email)
            )
            or 0
        )
    )
    return rows > limit


def request_data_download(account: Account) -> DataDownload:
    """Ask for the account's data as a file; a job builds it once the transaction commits.

    A request still being prepared is returned rather than repeated. Flushes."""
    from mooc_portal.jobs.services import enqueue

    waiting = session.scalar(
        select(DataDownload).where(
            DataDownload.account_id == account.id, DataDownload.state == "pending"
        )
    )
    if waiting is not None:
        return waiting
    download = DataDownload(account_id=account.id, token=secrets.token_urlsafe(32))
    session.add(download)
    session.flush()
    enqueue(
        "data_download",
        {"download_id": download.id},
        dedupe_key=f"data-download:{download.id}",
        topic=f"account:{account.id}",
    )
    return download


def build_data_download(payload: dict[str, int]) -> None:
    """The ``data_download`` job: build the document, keep it, log the request, tell the
    learner. Runs once per request (a download no longer pending is left alone)."""
    from mooc_portal.mail import send_mail
    from mooc_portal.privacy.export import personal_data, record_access_request

    download = session.get(DataDownload, int(payload["download_id"]))
    if download is None or download.state != "pending":
        return
    account = session.get_one(Account, download.account_id)
    language = account.preferred_language
    if language is None or language not in current_app.config["MOOC_LANGUAGES"]:
        language = current_app.config["MOOC_DEFAULT_LANGUAGE"]
    with force_locale(language):  # the field names in the learner's language
        document = personal_data(account)
    data = gzip.compress(json.dumps(document, ensure_ascii=False, indent=2).encode())
    now = utcnow()
    download.data = data
    download.size = len(data)
    download.state = "ready"
    download.ready_at = now
    download.expires_at = now + timedelta(days=int(current_app.config["MOOC_DATA_DOWNLOAD_DAYS"]))
    record_access_request(account, channel="download")
    from mooc_portal.urls import external_url

    with force_locale(language):
        subject = _("Your data is ready to download")
        body = _(
            "Hello %(name)s,\n\nthe file with everything the portal stores about you is "
            "ready. Sign in and download it here until %(date)s:\n\n%(link)s\n",
            name=account.display_name,
            date=download.expires_at.date().isoformat(),
            link=external_url("portal.privacy.my_data"),
        )
    send_mail(account.email, subject, body, dedupe_key=f"data-download:{download.id}")
    session.flush()


def latest_download(account: Account) -> DataDownload | None:
    """The account's most recent request for its data, if any."""
    return session.scalar(
        select(DataDownload)
        .where(DataDownload.account_id == account.id)
        .order_by(DataDownload.requested_at.desc(), DataDownload.id.desc())
        .limit(1)
    )


def open_data_download(account: Account, token: str, now: datetime | None = None) -> bytes:
    """The gzipped document of the account's ready, unexpired download ``token``; flushes the
    time it was downloaded. Raises NotFound for any other (another learner's, expired, not
    ready yet)."""
    download = session.scalar(select(DataDownload).where(DataDownload.token == token))
    now = now or utcnow()
    if (
        download is None
        or download.account_id != account.id
        or download.state != "ready"
        or download.data is None
        or (download.expires_at is not None and download.expires_at <= now)
    ):
        raise NotFound(_("This download does not exist or has expired. Ask for a new one."))
    download.downloaded_at = now
    session.flush()
    return download.data


def delete_expired_downloads(now: datetime | None = None) -> int:
    """Delete the downloads past their expiry (retention); flushes. Returns how many."""
    now = now or utcnow()
    return rowcount(session.execute(delete(DataDownload).where(DataDownload.expires_at < now)))
