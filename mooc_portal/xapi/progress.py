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

from sqlalchemy import case, or_, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course, CourseRun
from mooc_portal.catalog.outline import Lesson, Module
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment, EnrollmentState
from mooc_portal.progress.models import ReportedProgress
from mooc_portal.urls import external_url
from mooc_portal.xapi import bulk
from mooc_portal.xapi.models import (
    ActivityMapping,
    LearnerLink,
    OutcomeStatus,
    StatementOutcome,
    XapiCredential,
    XapiStatement,
)
from mooc_portal.xapi.statements import (
    StoredStatement,
    activity_hash,
    agent_hash,
    digest,
)

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


@dataclass(frozen=True)
class _Learner:
    enrollment_id: int
    state: str


def _learners_named(
    run_ids: Iterable[int], actors: Iterable[dict[str, Any]]
) -> dict[tuple[int, str], _Learner]:
    """(run id, agent hash) → the learning enrolment in those runs that ``actors`` name.

    Looked up by what the statements say (the e-mail of an ``mbox``, a linked platform
    ``account``), not by loading every learner of the runs; only an ``mbox_sha1sum`` (which
    cannot be turned back into an address) makes it hash the addresses of the runs' learners.
    """
    run_ids = list(run_ids)
    emails: set[str] = set()
    accounts: set[str] = set()
    hashed = False
    for actor in actors:
        mbox = actor.get("mbox")
        if isinstance(mbox, str):
            emails.add(mbox.lower().removeprefix("mailto:"))
        elif "mbox_sha1sum" in actor:
            hashed = True
        elif "account" in actor and (key := agent_hash(actor)):
            accounts.add(key)
    found: dict[tuple[int, str], _Learner] = {}
    learning = (Enrollment.run_id.in_(run_ids), Enrollment.state.in_(LEARNING_STATES))
    if emails or hashed:
        query = (
            select(Enrollment.id, Enrollment.run_id, Enrollment.state, Account.email)
            .join(Account, Account.id == Enrollment.account_id)
            .where(*learning)
        )
        if not hashed:
            query = query.where(Account.email.in_(emails))
        for enrollment_id, run_id, state, email in session.execute(query):
            for key in email_agent_hashes(email):
                found[(run_id, key)] = _Learner(enrollment_id, state)
    if accounts:
        for enrollment_id, run_id, state, key in session.execute(
            select(Enrollment.id, Enrollment.run_id, Enrollment.state, LearnerLink.agent_hash)
            .join(LearnerLink, LearnerLink.account_id == Enrollment.account_id)
            .where(*learning, LearnerLink.agent_hash.in_(accounts))
        ):
            found[(run_id, key)] = _Learner(enrollment_id, state)
    return found


@dataclass(frozen=True)
class _Applied:
    enrollment_id: int
    lesson_id: int | None
    effect: str
    percent: int | None


def apply_statements(rows: Sequence[StoredStatement]) -> None:
    """Record and apply what newly stored statements say about mapped runs; undo what the
    statements that voiding statements among them target had done.

    A batch costs a fixed number of queries: its outcomes are one INSERT, the reported
    figures of its learners one upsert (once per enrolment, whatever the number of its
    statements in the batch); only completions, ``failed``, lessons and voiding go through
    the enrolment services one enrolment at a time.
    """
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
    parsed: list[tuple[StoredStatement, Effect]] = []
    voided_targets: list[uuid.UUID] = []
    for row in rows:
        if row.voiding:
            if row.target_id is not None:  # (a voiding statement always names its target)
                voided_targets.append(row.target_id)
            continue
        if row.document["object"].get("objectType", "Activity") != "Activity":
            continue
        effect = effect_of(row.document)
        if effect is not None:
            parsed.append((row, effect))
    touched: set[int] = set()
    applied: list[_Applied] = []
    states: dict[int, str] = {}
    if parsed:
        targets = resolve_targets(institution_id, {r.document["object"]["id"] for r, _ in parsed})
        relevant = [
            (row, effect, target)
            for row, effect in parsed
            if (target := targets.get(row.document["object"]["id"])) is not None
        ]
        learners = _learners_named(
            {t.run_id for t in targets.values()}, [r.document["actor"] for r, _, _ in relevant]
        )
        outcomes: list[dict[str, Any]] = []
        waiting: list[tuple[dict[str, Any], dict[str, Any]]] = []
        now = utcnow()
        for row, effect, target in relevant:
            actor = row.document["actor"]
            key = agent_hash(actor) or ""
            learner = learners.get((target.run_id, key))
            outcome = {
                "statement_pk": row.id,
                "institution_id": institution_id,
                "run_id": target.run_id,
                "lesson_id": target.lesson_id,
                "enrollment_id": learner.enrollment_id if learner else None,
                "agent_hash": key,
                "agent": json.dumps(actor, ensure_ascii=False),
                "effect": effect.kind,
                "percent": effect.percent,
                "status": OutcomeStatus.APPLIED,
                "at": now,
            }
            outcomes.append(outcome)
            if learner is None:
                waiting.append((outcome, actor))
                continue
            touched.add(learner.enrollment_id)
            states[learner.enrollment_id] = learner.state
            applied.append(
                _Applied(learner.enrollment_id, target.lesson_id, effect.kind, effect.percent)
            )
        _set_waiting_status(waiting)
        if outcomes:
            bulk.insert_rows(StatementOutcome, outcomes)
        for item in applied:
            if item.lesson_id is not None:
                _apply_lesson(item.enrollment_id, item.lesson_id, item.effect)
    if voided_targets:
        touched |= _undo(institution_id, voided_targets)
    elif parsed:
        source = sources.get(rows[0].credential_id or 0)
        touched = _report_forward(touched, applied, source, states)
    for enrollment_id in sorted(touched):
        recompute(session.get_one(Enrollment, enrollment_id), sources=sources)


def _report_forward(
    touched: set[int], applied: list[_Applied], source: str | None, states: dict[int, str]
) -> set[int]:
    """The common case, without recomputing from the whole history: statements that only
    move progress forward (progressed, completed) update the reported figure in place (one
    upsert for the batch), and a completion completes the enrolment directly. Returns the
    enrolments that still need :func:`recompute` (a ``failed``, a lesson, a completion
    reported before that the enrolment does not show)."""
    by_enrollment: dict[int, list[_Applied]] = defaultdict(list)
    for item in applied:
        by_enrollment[item.enrollment_id].append(item)
    slow = {
        e
        for e, items in by_enrollment.items()
        if any(i.effect == FAILED or i.lesson_id is not None for i in items)
    }
    fast = set(by_enrollment) - slow
    if not fast:
        return touched
    reports = {
        enrollment_id: (percent, completed, known_source)
        for enrollment_id, percent, completed, known_source in session.execute(
            select(
                ReportedProgress.enrollment_id,
                ReportedProgress.percent,
                ReportedProgress.completed,
                ReportedProgress.source,
            ).where(ReportedProgress.enrollment_id.in_(fast))
        )
    }
    now = utcnow()
    values: list[dict[str, Any]] = []
    completing: list[int] = []
    for enrollment_id in sorted(fast):
        percent, completed, known_source = reports.get(enrollment_id, (0, False, ""))
        completes_now = False
        for item in by_enrollment[enrollment_id]:
            if item.effect == COMPLETED:
                completed, percent, completes_now = True, 100, True
            elif item.percent is not None:
                percent = item.percent
        if completed and states[enrollment_id] != S.COMPLETED:
            if completes_now:
                completing.append(enrollment_id)
            else:
                slow.add(enrollment_id)  # a completion the enrolment does not show: recompute
            continue
        values.append(
            {
                "enrollment_id": enrollment_id,
                "percent": 100 if completed else percent,
                "completed": completed,
                "source": source if source is not None else known_source,
                "updated_at": now,
            }
        )
    # The enrolments that complete, locked and loaded in one query; their courses are held
    # here so that issuing each certificate finds its course in the session.
    locked = enrolment.lock_enrollments(completing)
    courses = session.scalars(
        select(Course).where(Course.id.in_({e.course_id for e in locked}))
    ).all()
    for enrollment in locked:
        enrollment_id = enrollment.id
        if enrollment.state != S.ENROLLED:
            slow.add(enrollment_id)  # changed meanwhile: recompute decides
            continue
        enrolment.complete(enrollment)
        values.append(
            {
                "enrollment_id": enrollment_id,
                "percent": 100,
                "completed": True,
                "source": source or "",
                "updated_at": now,
            }
        )
    _save_reports(values)
    del courses
    return (touched - fast) | slow


def _save_reports(values: list[dict[str, Any]]) -> None:
    """Insert or update the reported figures of several enrolments in one statement.

    Forward only, also against a batch about the same learners committed meanwhile: a
    completion stays (only :func:`recompute`, under the enrolment's lock, takes one back).
    """
    if not values:
        return
    if bulk.on_postgresql():
        session.execute(
            text(
                "INSERT INTO mooc_xapi_reported_progress AS r"
                " (enrollment_id, percent, completed, source, updated_at)"
                " SELECT * FROM unnest(CAST(:enrollment_id AS integer[]),"
                " CAST(:percent AS integer[]), CAST(:completed AS boolean[]),"
                " CAST(:source AS text[]), CAST(:updated_at AS timestamptz[]))"
                " ON CONFLICT (enrollment_id) DO UPDATE SET"
                " completed = r.completed OR excluded.completed,"
                " percent = CASE WHEN r.completed OR excluded.completed THEN 100"
                " ELSE excluded.percent END,"
                " source = excluded.source, updated_at = excluded.updated_at"
            ),
            {name: [v[name] for v in values] for name in values[0]},
        )
        return
    upsert = sqlite_insert(ReportedProgress)
    completed = or_(ReportedProgress.completed, upsert.excluded.completed)
    statement = upsert.on_conflict_do_update(
        index_elements=["enrollment_id"],
        set_={
            "completed": completed,
            "percent": case((completed, 100), else_=upsert.excluded.percent),
            "source": upsert.excluded.source,
            "updated_at": upsert.excluded.updated_at,
        },
    )
    session.execute(statement, values)


def _set_waiting_status(waiting: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Why each statement waits: its learner has a portal account (by e-mail or a linked
    platform account) but is not enrolled, or is unknown. Two queries for the batch."""
    if not waiting:
        return
    emails = {
        mbox.lower().removeprefix("mailto:")
        for _, actor in waiting
        if isinstance(mbox := actor.get("mbox"), str)
    }
    linked = {agent_hash(actor) for _, actor in waiting if "account" in actor}
    known_emails = (
        set(session.scalars(select(Account.email).where(Account.email.in_(emails))))
        if emails
        else set()
    )
    known_links = (
        set(
            session.scalars(
                select(LearnerLink.agent_hash).where(LearnerLink.agent_hash.in_(linked))
            )
        )
        if linked
        else set()
    )
    for outcome, actor in waiting:
        mbox = actor.get("mbox")
        if isinstance(mbox, str):
            known = mbox.lower().removeprefix("mailto:") in known_emails
        else:
            known = "account" in actor and agent_hash(actor) in known_links
        outcome["status"] = OutcomeStatus.NOT_ENROLLED if known else OutcomeStatus.UNKNOWN_LEARNER


def _apply_lesson(enrollment_id: int, lesson_id: int, effect: str) -> None:
    from mooc_portal.progress import services as progress

    enrollment = session.get_one(Enrollment, enrollment_id)
    lesson = session.get(Lesson, lesson_id)
    if lesson is None or enrollment.state not in LEARNING_STATES:
        return
    if effect == COMPLETED:
        progress.mark_complete(enrollment, lesson, actor=enrollment.account)
    elif effect == FAILED:
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
            _apply_lesson(enrollment.id, outcome.lesson_id, outcome.effect)
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
