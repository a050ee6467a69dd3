"""Telling a learner about a decision: mail (through the outbox, so after the commit) and
``enrolment_changed``."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course, CourseTranslation
from mooc_portal.db import session
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.enrollment.models import EnrollmentState as S
from mooc_portal.i18n import localized
from mooc_portal.mail import send_mail
from mooc_portal.signals import enrolment_changed


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
    if language in current_app.config["MOOC_LANGUAGES"]:
        with force_locale(language):
            message = _mail_text(enrollment, previous)
    else:
        message = _mail_text(enrollment, previous)
    if message is not None:
        send_mail(enrollment.account.email, *message)
    enrolment_changed.send(
        current_app._get_current_object(),
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
    else:
        return None
    return subject, body % {"name": name, "course": title, "reason": enrollment.reason or ""}


def _course_title(course_id: int, language: str | None) -> str:
    # Only the titles: loading the Course would load its runs, languages and subjects too.
    original = session.scalar(select(Course.original_language).where(Course.id == course_id))
    translations = session.scalars(
        select(CourseTranslation).where(CourseTranslation.course_id == course_id)
    ).all()
    return localized(translations, "title", language or original or "en", original or "en").text
