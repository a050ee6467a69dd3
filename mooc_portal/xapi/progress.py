"""From statements to progress: what a partner platform's statements do to enrolments.

A statement counts when its object is an activity that stands for one of the institution's
runs (its mapping, or by default the run's public URL, ``urls.external_url``) or a lesson of
it, and its actor is a learner enrolled in that run: matched by the portal account's e-mail
(``mbox`` or ``mbox_sha1sum``) or by a partner platform account the learner linked on My
learning. Statements about learners the portal cannot match yet wait (listed for the partner)
and are applied when the learner links the account or enrols.

- ``completed``, ``passed`` (and cmi5's ``satisfied``), or ``result.completion: true``,
  complete the enrolment through the enrolment services, which issue the certificate; about a
  lesson they mark the lesson complete.
- ``progressed`` with the cmi5 progress extension sets the reported percentage.
- ``failed`` takes a completion back (the enrolment is reopened and its certificate revoked),
  and voiding a statement undoes what it did.

An enrolment's state is recomputed from all its applied outcomes in the order they were
stored, so that undoing is exact whatever arrives in between.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course, CourseRun
from mooc_portal.catalog.outline import Lesson, Module
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment, EnrollmentState
from mooc_portal.progress.models import ReportedProgress
from mooc_portal.urls import external_url
from mooc_portal.xapi.models import (
    ActivityMapping,
    LearnerLink,
    OutcomeStatus,
    StatementOutcome,
    XapiCredential,
    XapiStatement,
)
from mooc_portal.xapi.statements import activity_hash, agent_hash, digest

S = EnrollmentState
LEARNING_STATES = (S.ENROLLED, S.COMPLETED)

COMPLETED = "completed"
FAILED = "failed"
PROGRESSED = "progressed"
COMPLETING_VERBS = {
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
    "https://w3id.org/xapi/adl/verbs/satisfied",
}
FAILING_VERBS = {"http://adlnet.gov/expapi/verbs/failed"}
PROGRESS_EXTENSIONS = (
    "https://w3id.org/xapi/cmi5/result/extensions/progress",
    "http://id.tincanapi.com/extension/progress",
)


@dataclass(frozen=True)
class Effect:
    kind: str
    percent: int | None = None


def effect_of(document: dict[str, Any]) -> Effect | None:
    """What a statement means for progress, if anything."""
    verb = document["verb"]["id"]
    result = document.get("result") or {}
    if verb in FAILING_VERBS:
        return Effect(FAILED)
    if verb in COMPLETING_VERBS or result.get("completion") is True:
        return Effect(COMPLETED, 100)
    for key in PROGRESS_EXTENSIONS:
        value = (result.get("extensions") or {}).get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Effect(PROGRESSED, max(0, min(100, int(value))))
    return None


def default_activity_id(run: CourseRun) -> str:
    """The IRI a run answers to without a mapping: its public URL on the portal."""
    return external_url("portal.progress.course_space", run_uuid=run.uuid)


def _default_run_uuid(activity_id: str) -> uuid.UUID | None:
    marker = "00000000-0000-0000-0000-000000000000"
    template = external_url("portal.progress.course_space", run_uuid=marker)
    prefix, _, suffix = template.partition(marker)
    if not activity_id.startswith(prefix) or not activity_id.endswith(suffix):
        return None
    middle = activity_id[len(prefix) : len(activity_id) - len(suffix) or None]
    if not re.fullmatch(r"[0-9a-fA-F-]{36}", middle):
        return None
    return uuid.UUID(middle)


@dataclass(frozen=True)
class Target:
    run_id: int
    lesson_id: int | None


def resolve_targets(institution_id: int, activity_ids: Iterable[str]) -> dict[str, Target]:
    """The run (or lesson) of the institution each activity IRI stands for."""
    ids = set(activity_ids)
    if not ids:
        return {}
    by_hash = {activity_hash(a): a for a in ids}
    found: dict[str, Target] = {}
    for mapping in session.scalars(
        select(ActivityMapping).where(
            ActivityMapping.institution_id == institution_id,
            ActivityMapping.activity_hash.in_(list(by_hash)),
        )
    ):
        found[by_hash[mapping.activity_hash]] = Target(mapping.run_id, mapping.lesson_id)
    defaults = {a: u for a in ids - set(found) if (u := _default_run_uuid(a)) is not None}
    if defaults:
        rows = session.execute(
            select(CourseRun.uuid, CourseRun.id)
            .join(Course, Course.id == CourseRun.course_id)
            .where(CourseRun.uuid.in_(list(defaults.values())))
            .where(Course.institution_id == institution_id)
        ).all()
        run_ids = dict(rows)
        for activity, run_uuid in defaults.items():
            if run_uuid in run_ids:
                found[activity] = Target(run_ids[run_uuid], None)
    return found


def email_agent_hashes(email: str) -> tuple[str, str]:
    """The agent hashes of an e-mail address as ``mbox`` and as ``mbox_sha1sum``."""
    mbox = f"mailto:{email}".lower()
    sha1 = hashlib.sha1(mbox.encode()).hexdigest()
    return digest(f"mbox:{mbox}"), digest(f"mbox_sha1sum:{sha1}")


def account_agent_hashes(account: Account) -> set[str]:
    """Every identity a statement may name ``account`` by."""
    hashes = set(email_agent_hashes(account.email))
    hashes.update(
        session.scalars(select(LearnerLink.agent_hash).where(LearnerLink.account_id == account.id))
    )
    return hashes


def _learners_of(run_ids: Iterable[int]) -> dict[tuple[int, str], Enrollment]:
    """(run id, agent hash) → the learning enrolment it names."""
    enrollments = session.scalars(
        select(Enrollment).where(
            Enrollment.run_id.in_(list(run_ids)), Enrollment.state.in_(LEARNING_STATES)
        )
    ).all()
    links: dict[int, list[str]] = defaultdict(list)
    if enrollments:
        for account_id, key in session.execute(
            select(LearnerLink.account_id, LearnerLink.agent_hash).where(
                LearnerLink.account_id.in_({e.account_id for e in enrollments})
            )
        ):
            links[account_id].append(key)
    found: dict[tuple[int, str], Enrollment] = {}
    for enrollment in enrollments:
        for key in (*email_agent_hashes(enrollment.account.email), *links[enrollment.account_id]):
            found[(enrollment.run_id, key)] = enrollment
    return found


def apply_statements(rows: Sequence[XapiStatement]) -> None:
    """Record and apply what newly stored statements say about mapped runs; undo what the
    statements that voiding statements among them target had done."""
    if not rows:
        return
    institution_id = rows[0].institution_id
    credential_ids = {row.credential_id for row in rows}
    sources = dict(
        session.execute(
            select(XapiCredential.id, XapiCredential.name).where(
                XapiCredential.id.in_([c for c in credential_ids if c is not None])
            )
        ).all()
    )
    parsed: list[tuple[XapiStatement, dict[str, Any], Effect]] = []
    voided_targets: list[uuid.UUID] = []
    for row in rows:
        if row.voiding:
            voided_targets.append(row.target_id)  # type: ignore[arg-type]
            continue
        document = json.loads(row.document)
        if document["object"].get("objectType", "Activity") != "Activity":
            continue
        effect = effect_of(document)
        if effect is not None:
            parsed.append((row, document, effect))
    touched: set[int] = set()
    applied: list[StatementOutcome] = []
    if parsed:
        targets = resolve_targets(institution_id, {d["object"]["id"] for _, d, _ in parsed})
        learners = _learners_of({t.run_id for t in targets.values()})
        outcomes = []
        for row, document, effect in parsed:
            target = targets.get(document["object"]["id"])
            if target is None:
                continue
            key = agent_hash(document["actor"]) or ""
            enrollment = learners.get((target.run_id, key))
            outcome = StatementOutcome(
                statement_pk=row.id,
                institution_id=institution_id,
                run_id=target.run_id,
                lesson_id=target.lesson_id,
                enrollment_id=enrollment.id if enrollment else None,
                agent_hash=key,
                agent=json.dumps(document["actor"], ensure_ascii=False),
                effect=effect.kind,
                percent=effect.percent,
                status=OutcomeStatus.APPLIED if enrollment else _waiting_status(document),
            )
            outcomes.append(outcome)
            if enrollment is not None:
                touched.add(enrollment.id)
        session.add_all(outcomes)
        session.flush()
        applied = [o for o in outcomes if o.status == OutcomeStatus.APPLIED]
        for outcome in outcomes:
            if outcome.status == OutcomeStatus.APPLIED and outcome.lesson_id is not None:
                _apply_lesson(outcome)
    if voided_targets:
        touched |= _undo(institution_id, voided_targets)
    elif parsed:
        source = sources.get(rows[0].credential_id or 0)
        touched = _report_forward(touched, applied, source)
    for enrollment_id in sorted(touched):
        recompute(session.get_one(Enrollment, enrollment_id), sources=sources)


def _report_forward(
    touched: set[int], applied: list[StatementOutcome], source: str | None
) -> set[int]:
    """The common case, without recomputing from the whole history: statements that only
    move progress forward (progressed, completed) update the reported figure in place.
    Returns the enrolments that still need :func:`recompute` (a completion to record, a
    ``failed``, a lesson)."""
    by_enrollment: dict[int, list[StatementOutcome]] = defaultdict(list)
    for outcome in applied:
        by_enrollment[outcome.enrollment_id].append(outcome)  # type: ignore[index]
    slow = {
        e
        for e, outcomes in by_enrollment.items()
        if any(o.effect == FAILED or o.lesson_id is not None for o in outcomes)
    }
    fast = set(by_enrollment) - slow
    if not fast:
        return touched
    reports = {
        r.enrollment_id: r
        for r in session.scalars(
            select(ReportedProgress).where(ReportedProgress.enrollment_id.in_(fast))
        )
    }
    states: dict[int, str] = {
        row.id: row.state
        for row in session.execute(
            select(Enrollment.id, Enrollment.state).where(Enrollment.id.in_(fast))
        )
    }
    now = utcnow()
    for enrollment_id in fast:
        report = reports.get(enrollment_id)
        completed = report.completed if report else False
        percent = report.percent if report else 0
        for outcome in by_enrollment[enrollment_id]:
            if outcome.effect == COMPLETED:
                completed, percent = True, 100
            elif outcome.percent is not None:
                percent = outcome.percent
        if completed and states[enrollment_id] != S.COMPLETED:
            slow.add(enrollment_id)  # the enrolment completes: through recompute
            continue
        if report is None:
            report = ReportedProgress(enrollment_id=enrollment_id, source="")
            session.add(report)
        report.percent = 100 if completed else percent
        report.completed = completed
        report.source = source if source is not None else report.source
        report.updated_at = now
    session.flush()
    return (touched - fast) | slow


def _waiting_status(document: dict[str, Any]) -> str:
    actor = document["actor"]
    mbox = actor.get("mbox")
    if isinstance(mbox, str):
        known = session.scalar(
            select(Account.id).where(Account.email == mbox.removeprefix("mailto:").lower())
        )
        if known is not None:
            return OutcomeStatus.NOT_ENROLLED
    elif "account" in actor:
        known = session.scalar(
            select(LearnerLink.id).where(LearnerLink.agent_hash == agent_hash(actor))
        )
        if known is not None:
            return OutcomeStatus.NOT_ENROLLED
    return OutcomeStatus.UNKNOWN_LEARNER


def _apply_lesson(outcome: StatementOutcome) -> None:
    from mooc_portal.progress import services as progress

    enrollment = session.get_one(Enrollment, outcome.enrollment_id)
    lesson = session.get(Lesson, outcome.lesson_id)
    if lesson is None or enrollment.state not in LEARNING_STATES:
        return
    if outcome.effect == COMPLETED:
        progress.mark_complete(enrollment, lesson, actor=enrollment.account)
    elif outcome.effect == FAILED:
        progress.mark_incomplete(enrollment, lesson, actor=enrollment.account)


def _undo(institution_id: int, statement_ids: list[uuid.UUID]) -> set[int]:
    """Mark the outcomes of the voided statements undone; the enrolments to recompute."""
    from mooc_portal.progress import services as progress

    outcomes = session.scalars(
        select(StatementOutcome)
        .join(XapiStatement, XapiStatement.id == StatementOutcome.statement_pk)
        .where(
            XapiStatement.institution_id == institution_id,
            XapiStatement.statement_id.in_(statement_ids),
        )
    ).all()
    touched: set[int] = set()
    for outcome in outcomes:
        if outcome.status == OutcomeStatus.APPLIED and outcome.enrollment_id is not None:
            touched.add(outcome.enrollment_id)
            if outcome.lesson_id is not None and outcome.effect == COMPLETED:
                enrollment = session.get_one(Enrollment, outcome.enrollment_id)
                lesson = session.get(Lesson, outcome.lesson_id)
                if lesson is not None and enrollment.state in LEARNING_STATES:
                    progress.mark_incomplete(enrollment, lesson, actor=enrollment.account)
        outcome.status = OutcomeStatus.UNDONE
    session.flush()
    return touched


def recompute(enrollment: Enrollment, *, sources: dict[int, str] | None = None) -> None:
    """Bring the enrolment in line with its applied run-level outcomes, oldest first."""
    rows = session.execute(
        select(StatementOutcome, XapiStatement.credential_id)
        .join(XapiStatement, XapiStatement.id == StatementOutcome.statement_pk)
        .where(
            StatementOutcome.enrollment_id == enrollment.id,
            StatementOutcome.lesson_id.is_(None),
            StatementOutcome.status.in_((OutcomeStatus.APPLIED, OutcomeStatus.UNDONE)),
        )
        .order_by(StatementOutcome.statement_pk)
    ).all()
    completed = False
    percent = 0
    credential_id = None
    ever_completed = False
    for outcome, credential in rows:
        if outcome.effect == COMPLETED:
            ever_completed = True
        if outcome.status != OutcomeStatus.APPLIED:
            continue
        credential_id = credential
        if outcome.effect == COMPLETED:
            completed, percent = True, 100
        elif outcome.effect == FAILED:
            completed = False
        elif outcome.effect == PROGRESSED and outcome.percent is not None:
            percent = outcome.percent
    enrollment = enrolment.lock_enrollment(enrollment)
    if completed and enrollment.state == S.ENROLLED:
        enrolment.complete(enrollment)
    elif not completed and ever_completed and enrollment.state == S.COMPLETED:
        enrolment.reopen(
            enrollment, reason="The platform that reported the completion withdrew it."
        )
    source = None
    if credential_id is not None:
        source = (sources or {}).get(credential_id) or session.scalar(
            select(XapiCredential.name).where(XapiCredential.id == credential_id)
        )
    reported = session.scalar(
        select(ReportedProgress).where(ReportedProgress.enrollment_id == enrollment.id)
    )
    if reported is None:
        reported = ReportedProgress(enrollment_id=enrollment.id, source="")
        session.add(reported)
    reported.percent = 100 if enrollment.state == S.COMPLETED and completed else percent
    reported.completed = completed
    if source is not None:
        reported.source = source
    reported.updated_at = utcnow()
    session.flush()


def apply_waiting(account: Account) -> int:
    """Apply the waiting statements that name ``account`` in runs it is now enrolled in
    (after the learner linked a platform account, or enrolled); returns how many."""
    hashes = account_agent_hashes(account)
    waiting = session.scalars(
        select(StatementOutcome)
        .where(
            StatementOutcome.status.in_(
                (OutcomeStatus.UNKNOWN_LEARNER, OutcomeStatus.NOT_ENROLLED)
            ),
            StatementOutcome.agent_hash.in_(list(hashes)),
        )
        .order_by(StatementOutcome.statement_pk)
    ).all()
    if not waiting:
        return 0
    enrollments = {
        e.run_id: e
        for e in session.scalars(
            select(Enrollment).where(
                Enrollment.account_id == account.id, Enrollment.state.in_(LEARNING_STATES)
            )
        )
    }
    touched: set[int] = set()
    applied = 0
    for outcome in waiting:
        enrollment = enrollments.get(outcome.run_id)
        if enrollment is None:
            outcome.status = OutcomeStatus.NOT_ENROLLED
            continue
        outcome.enrollment_id = enrollment.id
        outcome.status = OutcomeStatus.APPLIED
        applied += 1
        session.flush()
        if outcome.lesson_id is not None:
            _apply_lesson(outcome)
        else:
            touched.add(enrollment.id)
    session.flush()
    for enrollment_id in sorted(touched):
        recompute(session.get_one(Enrollment, enrollment_id))
    return applied


def lesson_of_run(run: CourseRun, lesson_id: int) -> Lesson | None:
    return session.scalar(
        select(Lesson)
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.id == lesson_id, Module.course_id == run.course_id)
    )
