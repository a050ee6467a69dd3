"""Telling a learner about a decision: mail (through the outbox, so after the commit) and
``enrolment_changed``."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.appctx import current_flask_app
from mooc_portal.catalog.availability import Availability
from mooc_portal.catalog.models import Course, CourseRun, CourseTranslation
from mooc_portal.db import session
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.enrollment.models import EnrollmentState as S
from mooc_portal.i18n import localized
from mooc_portal.mail import send_mail
from mooc_portal.signals import enrolment_changed
from mooc_portal.urls import external_url


def forget_mail_to(address: str) -> None:
    """Forget every message to ``address`` in the outbox, queued or sent (its account is being
    erased): the outbox's payloads hold the address, and a queued message must not go out."""
    from mooc_portal.jobs.models import OutboxJob

    session.flush()
    jobs = session.scalars(
        select(OutboxJob).where(
            OutboxJob.kind == "mail", OutboxJob.topic == f"mail:{address}"[:100]
        )
    )
    for job in jobs:
        if (job.payload or {}).get("to") == address:
            session.delete(job)
    session.flush()


def notify(enrollment: Enrollment, previous: str | None, actor: Account | None) -> None:
    """Queue the learner's mail about the decision and send ``enrolment_changed``."""
    language = enrollment.account.preferred_language
    if language is not None and language in current_app.config["MOOC_LANGUAGES"]:
        with force_locale(language):
            message = _mail_text(enrollment, previous)
    else:
        message = _mail_text(enrollment, previous)
    if message is not None:
        send_mail(enrollment.account.email, *message)
    enrolment_changed.send(
        current_flask_app(),
        enrollment=enrollment,
        previous_state=previous,
        actor=actor,
    )


def _mail_text(enrollment: Enrollment, previous: str | None) -> tuple[str, str] | None:
    title = _course_title(enrollment.course_id, enrollment.account.preferred_language)
    name = enrollment.account.display_name
    state = enrollment.state
    if state == S.ENROLLED and previous == S.PENDING:
        subject = _("Your enrolment in %(course)s is approved", course=title)
        body = _("Hello %(name)s,\n\nyour enrolment in %(course)s has been approved.")
    elif state == S.ENROLLED and previous == S.COMPLETED:
        subject = _("Your completion of %(course)s was withdrawn", course=title)
        body = _(
            "Hello %(name)s,\n\nthe platform that delivers %(course)s withdrew the completion "
            "it had reported, so the course is open to you again. Reason: %(reason)s"
        )
    elif state in (S.ENROLLED, S.PENDING) and previous == S.WAITLISTED:
        subject = _("A seat in %(course)s is yours", course=title)
        body = (
            _("Hello %(name)s,\n\na seat has become free in %(course)s and you are enrolled.")
            if state == S.ENROLLED
            else _(
                "Hello %(name)s,\n\na seat has become free in %(course)s. Your enrolment now "
                "awaits the organisers' approval."
            )
        )
    elif state == S.ENROLLED:
        subject = _("You are enrolled in %(course)s", course=title)
        body = _("Hello %(name)s,\n\nyou are enrolled in %(course)s.")
    elif state == S.PENDING:
        subject = _("Your enrolment in %(course)s awaits approval", course=title)
        body = _(
            "Hello %(name)s,\n\nthank you for enrolling in %(course)s. The organisers will "
            "review your enrolment and write to you."
        )
    elif state == S.WAITLISTED:
        subject = _("You are on the waitlist of %(course)s", course=title)
        body = _(
            "Hello %(name)s,\n\n%(course)s is full. You are on its waitlist and will be told "
            "as soon as a seat is yours."
        )
    elif state == S.REJECTED:
        subject = _("Your enrolment in %(course)s", course=title)
        body = _(
            "Hello %(name)s,\n\nyour enrolment in %(course)s was not accepted. Reason: %(reason)s"
        )
    elif state == S.WITHDRAWN:
        subject = _("You have withdrawn from %(course)s", course=title)
        body = _("Hello %(name)s,\n\nyou have withdrawn from %(course)s.")
    elif state == S.CANCELLED:
        subject = _("%(course)s: your run is cancelled", course=title)
        body = _(
            "Hello %(name)s,\n\nwe are sorry: the organisers have cancelled the run of "
            "%(course)s you had joined. Your enrolment has ended; the lessons you completed stay "
            "on record."
        )
        body = body % {"name": name, "course": title} + "\n\n" + _other_runs_text(enrollment)
        return subject, body
    else:
        return None
    return subject, body % {"name": name, "course": title, "reason": enrollment.reason or ""}


def _other_runs_text(enrollment: Enrollment) -> str:
    """The course's other runs a learner can join instead, with the course page's address."""
    from mooc_portal.enrollment.services import alternative_runs

    others = alternative_runs(enrollment.run)
    slug = session.scalar(select(Course.slug).where(Course.id == enrollment.course_id))
    url = external_url("portal.catalog.course_detail", slug=slug)
    if not others:
        return _(
            "No other run of this course is open at the moment. The course page shows new "
            "runs as soon as they are announced:\n%(url)s",
            url=url,
        )
    lines = [
        "- "
        + _run_dates(run, enrollment.account)
        + (" (" + _("enrolment open") + ")" if run.availability() is Availability.OPEN else "")
        for run in others
    ]
    return (
        _("You can join another run of the course instead:")
        + "\n"
        + "\n".join(lines)
        + "\n\n"
        + _("Enrol on the course page: %(url)s", url=url)
    )


def _run_dates(run: CourseRun, account: Account) -> str:
    """A run's dates for a mail to ``account``: in its time zone (else UTC) and the language
    the mail is written in, whoever's request causes the mail."""
    zone = ZoneInfo(account.timezone) if account.timezone else UTC
    locale = str(get_locale() or "en")

    def day(moment: datetime) -> str:
        return format_date(moment.astimezone(zone).date(), "long", locale=locale)

    if run.start_at is None:
        return _("dates to be announced")
    if run.end_at is None:
        return _("from %(date)s", date=day(run.start_at))
    return _("%(start)s to %(end)s", start=day(run.start_at), end=day(run.end_at))


def _course_title(course_id: int, language: str | None) -> str:
    # Only the titles: loading the Course would load its runs, languages and subjects too.
    original = session.scalar(select(Course.original_language).where(Course.id == course_id))
    translations = session.scalars(
        select(CourseTranslation).where(CourseTranslation.course_id == course_id)
    ).all()
    return localized(translations, "title", language or original or "en", original or "en").text
