""" "My data": everything the portal stores about one account, as a JSON-ready document.

:func:`personal_data` gathers it; the readable page and the JSON download render the same
document. Each section is named in :mod:`mooc_portal.privacy.registry`, whose test makes sure
every table with a learner reference is covered. ``flask portal export-personal-data`` writes the
document to a file (for large accounts, or to answer a request received by post).
"""

from __future__ import annotations

import base64
from typing import Any

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from mooc_portal.accounts.models import Account, LoginAttempt, Membership
from mooc_portal.audit.models import AuditEntry
from mooc_portal.audit.services import to_json
from mooc_portal.catalog.models import Course, CourseRun
from mooc_portal.catalog.outline import Lesson
from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment.models import Enrollment, EnrollmentTransition, SharingConsent
from mooc_portal.federation.models import ApiToken
from mooc_portal.i18n import FALLBACK_LANGUAGE
from mooc_portal.institutions.models import Institution
from mooc_portal.privacy.labels import field_names
from mooc_portal.privacy.models import (
    DataDownload,
    NoticeAcknowledgement,
    PrivacyNotice,
    PrivacyRequest,
)
from mooc_portal.progress.models import LessonCompletion, LessonVisit, ReportedProgress
from mooc_portal.publishing.models import CourseImport, ReviewEvent
from mooc_portal.xapi.models import (
    LearnerLink,
    StatementOutcome,
    XapiCredential,
)
from mooc_portal.xapi.services import learner_documents

FORMAT_VERSION = 1


def personal_data(account: Account) -> dict[str, Any]:
    """Every stored thing about ``account``, grouped in the sections of the registry."""
    enrollments = list(
        session.scalars(
            select(Enrollment)
            .where(Enrollment.account_id == account.id)
            .order_by(Enrollment.created_at, Enrollment.id)
        )
    )
    ids = [e.id for e in enrollments]
    # Every course (with its institution) in one query rather than one per enrolment.
    courses = {
        c.id: c
        for c in session.scalars(
            select(Course)
            .options(joinedload(Course.institution))
            .where(Course.id.in_({e.course_id for e in enrollments}))
        ).unique()
    }
    document: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "generated_at": utcnow(),
        "portal": current_app.config["MOOC_SITE_NAME"],
        "controller": current_app.config["MOOC_PRIVACY_CONTROLLER"],
        "account": _account(account),
        "memberships": _memberships(account),
        "enrolments": [_enrollment(e, courses[e.course_id]) for e in enrollments],
        "progress": _progress(ids),
        "platform_accounts": _platform_accounts(account),
        "platform_documents": _platform_documents(account),
        "certificates": _certificates(ids),
        "consents": _consents(account),
        "notices_shown": _notices_shown(account),
        "login_history": _login_history(account),
        "audit_entries": _audit_entries(account),
        "requests": _requests(account),
        "data_downloads": _data_downloads(account),
        "staff_actions": _staff_actions(account),
    }
    exported: dict[str, Any] = to_json(document)
    # The keys stay a stable format; their names in the learner's language travel with them.
    exported["field_names"] = field_names(exported)
    return exported


def _account(account: Account) -> dict[str, Any]:
    return {
        "id": account.uuid,
        "email": account.email,
        "name": account.display_name,
        "country": account.country,
        "preferred_language": account.preferred_language,
        "time_zone": account.timezone,
        "administrator": account.is_admin,
        "active": account.active,
        "has_password": bool(account.password_hash),
        "linked_to_host_user": account.host_user_id is not None,
        "registered_at": account.created_at,
        "changed_at": account.modified_at,
        "last_login_at": account.last_login_at,
    }


def _institution_name(institution: Institution) -> str:
    """In the language the data is written in (the learner's), as pages name it."""
    return institution.text("name", str(get_locale() or FALLBACK_LANGUAGE)).text


def _memberships(account: Account) -> list[dict[str, Any]]:
    rows = session.scalars(select(Membership).where(Membership.account_id == account.id))
    return [
        {
            "institution": _institution_name(m.institution),
            "role": m.role,
            "since": m.created_at,
        }
        for m in rows
    ]


def _enrollment(e: Enrollment, course: Course) -> dict[str, Any]:
    return {
        "id": e.uuid,
        "course": course.text("title", course.original_language).text,
        "course_code": course.code,
        "institution": _institution_name(course.institution),
        "run": e.run.uuid,
        "run_start": e.run.start_at,
        "run_end": e.run.end_at,
        "state": e.state,
        "reason": e.reason,
        "enrolled_at": e.created_at,
        "changed_at": e.modified_at,
        "history": [
            {
                "from": t.from_state,
                "to": t.to_state,
                "at": t.at,
                "reason": t.reason,
                "by": "you"
                if t.actor_id == e.account_id
                else ("the portal" if t.actor_id is None else "staff"),
            }
            for t in e.transitions
        ],
    }


def _progress(enrollment_ids: list[int]) -> list[dict[str, Any]]:
    if not enrollment_ids:
        return []
    by_enrollment: dict[int, dict[str, Any]] = {}
    runs = dict(
        session.execute(
            select(Enrollment.id, CourseRun.uuid)
            .join(CourseRun, CourseRun.id == Enrollment.run_id)
            .where(Enrollment.id.in_(enrollment_ids))
        ).all()
    )

    def entry(enrollment_id: int) -> dict[str, Any]:
        return by_enrollment.setdefault(
            enrollment_id,
            {
                "run": runs[enrollment_id],
                "lessons_completed": [],
                "last_visited": None,
                "reported_by_platform": None,
                "platform_statements": [],
            },
        )

    for completion, title in session.execute(
        select(LessonCompletion, Lesson.title)
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .where(LessonCompletion.enrollment_id.in_(enrollment_ids))
        .order_by(LessonCompletion.completed_at, LessonCompletion.id)
    ):
        entry(completion.enrollment_id)["lessons_completed"].append(
            {"lesson": title, "at": completion.completed_at}
        )
    for visit, title in session.execute(
        select(LessonVisit, Lesson.title)
        .outerjoin(Lesson, Lesson.id == LessonVisit.lesson_id)
        .where(LessonVisit.enrollment_id.in_(enrollment_ids))
    ):
        entry(visit.enrollment_id)["last_visited"] = {"lesson": title, "at": visit.visited_at}
    for reported in session.scalars(
        select(ReportedProgress).where(ReportedProgress.enrollment_id.in_(enrollment_ids))
    ):
        entry(reported.enrollment_id)["reported_by_platform"] = {
            "percent": reported.percent,
            "completed": reported.completed,
            "source": reported.source,
            "at": reported.updated_at,
        }
    for outcome in session.scalars(
        select(StatementOutcome)
        .where(StatementOutcome.enrollment_id.in_(enrollment_ids))
        .order_by(StatementOutcome.statement_pk)
    ):
        if outcome.enrollment_id is None:
            continue  # never: the query asks for these enrolments' outcomes
        entry(outcome.enrollment_id)["platform_statements"].append(
            {
                "statement": outcome.statement.statement_id,
                "meaning": outcome.effect,
                "percent": outcome.percent,
                "status": outcome.status,
                "stored": outcome.statement.stored,
            }
        )
    return list(by_enrollment.values())


def _platform_accounts(account: Account) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(LearnerLink).where(LearnerLink.account_id == account.id).order_by(LearnerLink.id)
    )
    return [{"home_page": r.home_page, "name": r.name, "linked_at": r.created_at} for r in rows]


def _platform_documents(account: Account) -> list[dict[str, Any]]:
    """The xAPI state and agent profile documents partner platforms stored about the learner:
    the content as text when it is text, else in base64."""
    found = []
    for document in learner_documents(account):
        try:
            content, encoding = document.content.decode(), "text"
        except UnicodeDecodeError:
            content, encoding = base64.b64encode(document.content).decode(), "base64"
        found.append(
            {
                "kind": document.kind,
                "activity": document.activity_id,
                "document_id": document.document_id,
                "content_type": document.content_type,
                "content": content,
                "content_encoding": encoding,
                "updated_at": document.updated,
            }
        )
    return found


def _certificates(enrollment_ids: list[int]) -> list[dict[str, Any]]:
    if not enrollment_ids:
        return []
    rows = session.scalars(
        select(Certificate)
        .where(Certificate.enrollment_id.in_(enrollment_ids))
        .order_by(Certificate.issued_at)
    )
    return [
        {
            "code": c.code,
            "name_on_certificate": c.learner_name,
            "course": c.course_title,
            "institution": c.institution_name,
            "completed_at": c.completed_at,
            "issued_at": c.issued_at,
            "revoked_at": c.revoked_at,
            "revocation_reason": c.revoke_reason,
        }
        for c in rows
    ]


def _consents(account: Account) -> list[dict[str, Any]]:
    rows = session.execute(
        select(SharingConsent, Institution)
        .join(Institution, Institution.id == SharingConsent.institution_id)
        .where(SharingConsent.account_id == account.id)
        .order_by(SharingConsent.id)
    )
    return [
        {
            "institution": _institution_name(institution),
            "name_and_email": True,
            "country": c.share_country,
            "progress": c.share_progress,
            "completion": c.share_completion,
            "agreed_at": c.agreed_at,
            "privacy_notice_version": c.notice_version,
        }
        for c, institution in rows
    ]


def _notices_shown(account: Account) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(NoticeAcknowledgement)
        .where(NoticeAcknowledgement.account_id == account.id)
        .order_by(NoticeAcknowledgement.at)
    )
    return [
        {"version": a.notice.version, "language": a.language, "when": a.context, "at": a.at}
        for a in rows
    ]


def _login_history(account: Account) -> dict[str, Any]:
    failures = session.scalars(
        select(LoginAttempt).where(LoginAttempt.email == account.email).order_by(LoginAttempt.at)
    )
    return {
        "last_login_at": account.last_login_at,
        "failed_attempts": [{"at": f.at, "address": f.remote_addr} for f in failures],
    }


def audit_entries_about(account: Account) -> Any:
    """The audit entries naming the account: as actor, by e-mail, or as the object changed."""
    return select(AuditEntry).where(
        or_(
            AuditEntry.actor_id == account.id,
            AuditEntry.actor_email == account.email,
            (AuditEntry.entity == "account") & (AuditEntry.entity_id == account.id),
        )
    )


def _audit_entries(account: Account) -> list[dict[str, Any]]:
    rows = session.scalars(audit_entries_about(account).order_by(AuditEntry.at, AuditEntry.id))
    return [
        {
            "at": entry.at,
            "action": entry.action,
            "object": entry.entity,
            "summary": entry.summary,
            "before": entry.before,
            "after": entry.after,
        }
        for entry in rows
    ]


def _requests(account: Account) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(PrivacyRequest)
        .where(PrivacyRequest.account_id == account.id)
        .order_by(PrivacyRequest.received_at)
    )
    return [
        {"kind": r.kind, "received_at": r.received_at, "completed_at": r.completed_at} for r in rows
    ]


def _data_downloads(account: Account) -> list[dict[str, Any]]:
    # The files themselves are copies of this document: only their dates are listed.
    rows = session.scalars(
        select(DataDownload)
        .where(DataDownload.account_id == account.id)
        .order_by(DataDownload.requested_at, DataDownload.id)
    )
    return [
        {
            "state": r.state,
            "requested_at": r.requested_at,
            "ready_at": r.ready_at,
            "expires_at": r.expires_at,
            "downloaded_at": r.downloaded_at,
        }
        for r in rows
    ]


def _staff_actions(account: Account) -> dict[str, Any]:
    """What the account did as staff or administrator (not data about other people)."""
    decisions = session.execute(
        select(EnrollmentTransition.to_state, EnrollmentTransition.at)
        .join(Enrollment, Enrollment.id == EnrollmentTransition.enrollment_id)
        .where(EnrollmentTransition.actor_id == account.id, Enrollment.account_id != account.id)
        .order_by(EnrollmentTransition.at)
    )
    reviews = session.scalars(
        select(ReviewEvent).where(ReviewEvent.actor_id == account.id).order_by(ReviewEvent.at)
    )
    tokens = session.scalars(select(ApiToken).where(ApiToken.created_by_id == account.id))
    xapi_credentials = session.scalars(
        select(XapiCredential).where(XapiCredential.created_by_id == account.id)
    )
    revoked = session.scalars(
        select(Certificate.code).where(Certificate.revoked_by_id == account.id)
    )
    notices = session.scalars(
        select(PrivacyNotice.version).where(PrivacyNotice.published_by_id == account.id)
    )
    imports = session.scalars(
        select(CourseImport)
        .where(CourseImport.account_id == account.id)
        .order_by(CourseImport.requested_at)
    )
    return {
        "enrolment_decisions": [{"to": state, "at": at} for state, at in decisions],
        "course_reviews": [{"action": r.action, "at": r.at} for r in reviews],
        "api_tokens_created": [{"name": t.name, "created_at": t.created_at} for t in tokens],
        "xapi_credentials_created": [
            {"name": c.name, "created_at": c.created_at} for c in xapi_credentials
        ],
        "certificates_revoked": list(revoked),
        "privacy_notices_published": list(notices),
        "course_imports_requested": [
            {"file": i.filename, "rows": i.rows, "state": i.state, "requested_at": i.requested_at}
            for i in imports
        ],
    }


def record_access_request(account: Account, *, channel: str) -> PrivacyRequest:
    """Log a handled access request (the learner downloaded their data, or staff sent it)."""
    now = utcnow()
    entry = PrivacyRequest(
        kind="access", account_id=account.id, channel=channel, received_at=now, completed_at=now
    )
    session.add(entry)
    session.flush()
    return entry
