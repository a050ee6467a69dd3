"""Writing work to the outbox, running it once, retrying it with backoff, and relaying it.

The outbox row is an ordinary row of the portal's session: it commits or rolls back with the
change that caused it. After the commit, :func:`dispatch` hands the new rows to the queue (RQ on
Redis) or, without Redis (``make run``, the tests), runs them in the process that committed.
A worker's relay loop (:func:`relay_once`) hands over what could not be pushed (Redis was down),
retries what failed once its backoff has passed, recovers what a dead worker left ``running``,
and writes each peer's scheduled harvest.

A job runs at least once and its effects happen once: :func:`run_job` claims the row with one
conditional UPDATE (two workers given the same row: one runs it), the handler's database writes
commit together with the row's ``done``, and handlers that talk to the outside world (mail) are
keyed so a second run finds the first one's work done.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, SessionTransaction

from mooc_portal.accounts.permissions import require_admin
from mooc_portal.appctx import current_flask_app
from mooc_portal.db import listen_once, rowcount, session, utcnow
from mooc_portal.errors import Conflict, NotFound
from mooc_portal.jobs.models import JobState, OutboxJob
from mooc_portal.metrics import count_job
from mooc_portal.pagination import Page, PageRequest, paginate

log = logging.getLogger(__name__)

HANDLERS: dict[str, str] = {
    "mail": "mooc_portal.mail:deliver_mail",
    "harvest": "mooc_portal.federation.harvest:harvest_job",
    "reindex": "mooc_portal.catalog.search:reindex_job",
    "data_download": "mooc_portal.privacy.downloads:build_data_download",
    "insights": "mooc_portal.insights.refresh:refresh_job",
    "export_snapshot": "mooc_portal.federation.services.snapshot:build_snapshot_job",
    "course_import": "mooc_portal.publishing.importer:course_import_job",
}
"""Job kind -> ``module:function`` taking the row's payload. Imported when a job runs."""

ON_INTERRUPTED: dict[str, str] = {
    "harvest": "mooc_portal.federation.harvest:fail_interrupted_runs_job",
}
"""Job kind -> ``module:function`` taking the payload of a job a dead worker left running."""

SCHEDULERS: tuple[str, ...] = (
    "mooc_portal.federation.harvest:schedule_due_harvests",
    "mooc_portal.federation.services.snapshot:schedule_export_snapshot",
)
"""``module:function``s the relay calls each turn; each writes the jobs now due and returns
how many. Named, not imported, as the handlers are: the queue sits below the domains whose
work it runs."""

ACTIVE = (JobState.PENDING, JobState.QUEUED, JobState.RUNNING)

_NEW = "mooc_outbox_new"
_COMMITTED = "mooc_outbox_flushed"
_COMMITTED_KINDS = "mooc_outbox_flushed_kinds"


# Writing work ------------------------------------------------------------------------------


def enqueue(
    kind: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str,
    topic: str | None = None,
    run_after: datetime | None = None,
) -> OutboxJob:
    """Write work to the outbox in the current transaction; it runs once that commits.

    Work already written under ``dedupe_key`` is not written again: the stored row is returned.
    """
    if kind not in HANDLERS:
        raise ValueError(f"No handler for jobs of kind {kind!r}.")
    new_jobs: Iterable[OutboxJob] = session.info.get(_NEW, ())
    for job in new_jobs:
        if job.dedupe_key == dedupe_key:
            return job
    existing = session.scalar(select(OutboxJob).where(OutboxJob.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    job = OutboxJob(
        kind=kind,
        payload=payload,
        dedupe_key=dedupe_key[:200],
        topic=topic,
        run_after=run_after,
        state=JobState.PENDING,
        attempts=0,
    )
    session.add(job)
    session.info.setdefault(_NEW, []).append(job)
    return job


def active_job(topic: str, kind: str) -> OutboxJob | None:
    """The job of ``kind`` about ``topic`` that waits or runs, if any."""
    return session.scalar(
        select(OutboxJob)
        .where(OutboxJob.topic == topic, OutboxJob.kind == kind, OutboxJob.state.in_(ACTIVE))
        .limit(1)
    )


# After the commit ---------------------------------------------------------------------------


def install_outbox_listeners(session_class: type[Session]) -> None:
    """Run work written in a transaction once that transaction commits (``init_app`` calls it
    with the portal's session class; idempotent).

    The listeners act only on sessions that :func:`enqueue` wrote to (they carry the new rows
    in ``session.info``).
    """
    for name, listener in (
        ("after_flush_postexec", _remember_flushed),
        ("after_commit", _dispatch_committed),
        ("after_soft_rollback", _forget_rolled_back),
    ):
        listen_once(session_class, name, listener)


def _remember_flushed(db_session: Session, _context: Any) -> None:
    new = db_session.info.get(_NEW)
    if not new:
        return
    flushed = [job for job in new if job.id is not None]
    if flushed:
        db_session.info.setdefault(_COMMITTED, []).extend(job.id for job in flushed)
        db_session.info.setdefault(_COMMITTED_KINDS, []).extend(job.kind for job in flushed)
        db_session.info[_NEW] = [job for job in new if job.id is None]


def _dispatch_committed(db_session: Session) -> None:
    # SQLAlchemy calls this when a savepoint is released too; that commits nothing yet.
    if db_session.in_nested_transaction():
        return
    ids = db_session.info.pop(_COMMITTED, None)
    db_session.info.pop(_NEW, None)
    for kind in db_session.info.pop(_COMMITTED_KINDS, ()):
        count_job(kind, "enqueued")
    if ids:
        dispatch(current_flask_app(), ids)


def _forget_rolled_back(db_session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:
        db_session.info.pop(_NEW, None)
        db_session.info.pop(_COMMITTED, None)
        db_session.info.pop(_COMMITTED_KINDS, None)


def dispatch(app: Flask, ids: list[int]) -> None:
    """Hand committed work to the queue, or run it here when the portal has no queue.

    Runs in its own app context (so its own database session): the committing session cannot
    be used inside its ``after_commit``. When Redis cannot be reached the rows stay ``pending``
    and the worker's relay hands them over later: the request that wrote them still succeeds.
    """
    from mooc_portal.jobs import queue

    with app.app_context():
        if queue.configured():
            try:
                queue.push(ids)
            except Exception:  # Redis down: the outbox keeps the work; the relay sends it later
                session.rollback()
                log.warning("Could not hand jobs %s to the queue; the relay will.", ids)
            return
    for job_id in ids:
        with app.app_context():
            run_job(job_id)


# Running work -------------------------------------------------------------------------------


def lease_seconds(kind: str) -> int:
    """How long a job of ``kind`` may run; after this (plus a grace) its worker is presumed dead."""
    config = current_app.config
    if kind == "harvest":
        return int(float(config["MOOC_HARVEST_DEADLINE"])) + 60
    return int(config["MOOC_JOB_TIMEOUT"])


def _with_grace(seconds: float) -> float:
    """A lease: the job's own limit, plus as long again (at most 30 s) for RQ to stop it."""
    return seconds + min(30.0, seconds)


def run_job(job_id: int) -> str | None:
    """Claim the job, run it, and record the outcome; commits. Returns the new state.

    Returns None when the job is not there to run (another worker took it, it is done, or its
    next attempt is not due yet).
    """
    now = utcnow()
    config = current_app.config
    # The claim is the transaction's first statement: on SQLite a read before it could make
    # the write fail (a stale WAL snapshot) instead of waiting for the lock.
    claimed = session.execute(
        update(OutboxJob)
        .where(
            OutboxJob.id == job_id,
            OutboxJob.state.in_((JobState.PENDING, JobState.QUEUED)),
            or_(OutboxJob.run_after.is_(None), OutboxJob.run_after <= now),
        )
        .values(
            state=JobState.RUNNING,
            attempts=OutboxJob.attempts + 1,
            started_at=now,
            finished_at=None,
            locked_until=case(
                (
                    OutboxJob.kind == "harvest",
                    now
                    + timedelta(seconds=_with_grace(float(config["MOOC_HARVEST_DEADLINE"]) + 60)),
                ),
                else_=now + timedelta(seconds=_with_grace(int(config["MOOC_JOB_TIMEOUT"]))),
            ),
        )
        .returning(OutboxJob.kind, OutboxJob.payload)
        .execution_options(synchronize_session=False)
    ).first()
    session.commit()
    if claimed is None:
        return None
    kind, payload = claimed
    started = time.perf_counter()
    try:
        _handler(kind)(dict(payload))
    except Exception as error:
        session.rollback()
        log.exception("Job %s (%s) failed", job_id, kind)
        state = _record_failure(job_id, f"{type(error).__name__}: {error}")
        session.commit()
        outcome = "failed" if state == JobState.FAILED else "retried"
        count_job(kind, outcome, time.perf_counter() - started)
        return state
    done: dict[str, Any] = {"state": JobState.DONE, "finished_at": utcnow(), "locked_until": None}
    if kind == "mail":
        # A sent message's body (it may hold a reset or invitation link) is not kept.
        done["payload"] = {**payload, "body": None}
    _write(
        update(OutboxJob)
        .where(OutboxJob.id == job_id)
        .values(**done)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    count_job(kind, "done", time.perf_counter() - started)
    return JobState.DONE


def _write(statement: Any) -> None:
    """Execute a write; on SQLite, when a read earlier in this transaction makes it fail
    (``SQLITE_BUSY_SNAPSHOT``), start again with the write first. Such a transaction has
    written nothing (it would hold the lock), so nothing is lost by rolling it back."""
    try:
        session.execute(statement)
    except OperationalError as exc:
        if "locked" not in str(exc):
            raise
        session.rollback()
        session.execute(statement)


def _handler(kind: str) -> Callable[[dict[str, Any]], Any]:
    return _function(HANDLERS[kind])


def _function(reference: str) -> Callable[..., Any]:
    """The function a ``module:function`` reference names."""
    module, _sep, name = reference.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


def backoff(attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: doubling from MOOC_JOB_RETRY_DELAY, capped."""
    config = current_app.config
    base = float(config["MOOC_JOB_RETRY_DELAY"])
    cap = float(config["MOOC_JOB_RETRY_MAX_DELAY"])
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _record_failure(job_id: int, error: str) -> str:
    # Take the write lock first (SQLite: see ``_write``), then read the attempts.
    _write(
        update(OutboxJob)
        .where(OutboxJob.id == job_id)
        .values(locked_until=None)
        .execution_options(synchronize_session=False)
    )
    job = session.get_one(OutboxJob, job_id, populate_existing=True)
    job.finished_at = utcnow()
    job.locked_until = None
    job.last_error = error[:4000]
    if job.attempts >= int(current_app.config["MOOC_JOB_MAX_ATTEMPTS"]):
        job.state = JobState.FAILED
    else:
        job.state = JobState.PENDING
        job.run_after = utcnow() + backoff(job.attempts)
    session.flush()
    return job.state


def recover_stale(now: datetime | None = None) -> int:
    """Jobs still ``running`` after their lease: their worker died. Retry them; commits."""
    now = now or utcnow()
    stale = session.execute(
        select(OutboxJob.id, OutboxJob.kind, OutboxJob.payload).where(
            OutboxJob.state == JobState.RUNNING, OutboxJob.locked_until < now
        )
    ).all()
    session.rollback()
    for job_id, kind, payload in stale:
        log.warning("Job %s (%s) was left running by a worker that stopped", job_id, kind)
        _record_failure(job_id, "The worker stopped during this job; it runs again.")
        if kind in ON_INTERRUPTED:
            _function(ON_INTERRUPTED[kind])(payload)
        session.commit()
    return len(stale)


# Relaying -----------------------------------------------------------------------------------


@dataclass
class RelayReport:
    recovered: int = 0
    scheduled: int = 0
    handed_over: int = 0
    ran: int = 0


def due_jobs(limit: int = 200) -> list[int]:
    """Ids of pending jobs whose time has come, oldest first."""
    now = utcnow()
    return list(
        session.scalars(
            select(OutboxJob.id)
            .where(
                OutboxJob.state == JobState.PENDING,
                or_(OutboxJob.run_after.is_(None), OutboxJob.run_after <= now),
            )
            .order_by(OutboxJob.id)
            .limit(limit)
        )
    )


def relay_once() -> RelayReport:
    """One turn of the relay: recover, schedule, hand over (or run here without a queue)."""
    from mooc_portal.jobs import queue

    report = RelayReport(recovered=recover_stale())
    try:
        report.scheduled = sum(int(_function(name)()) for name in SCHEDULERS)
        session.commit()
    except IntegrityError:  # another relay wrote the same scheduled harvest first
        session.rollback()
    ids = due_jobs()
    session.commit()
    if queue.configured():
        ids += queue.lost_jobs()
        if ids:
            report.handed_over = queue.push(ids)
    else:
        for job_id in ids:
            if run_job(job_id) is not None:
                report.ran += 1
    prune_finished()
    return report


def prune_finished() -> int:
    """Forget finished jobs older than MOOC_JOB_KEEP_DAYS; commits."""
    cutoff = utcnow() - timedelta(days=int(current_app.config["MOOC_JOB_KEEP_DAYS"]))
    removed = rowcount(
        session.execute(
            delete(OutboxJob)
            .where(OutboxJob.state == JobState.DONE, OutboxJob.finished_at < cutoff)
            .execution_options(synchronize_session=False)
        )
    )
    session.commit()
    return int(removed or 0)


# For administrators -------------------------------------------------------------------------


def jobs_page(actor: Any, page: PageRequest) -> Page[OutboxJob]:
    """One page of every job, newest first (administrators only)."""
    require_admin(actor)
    return paginate(select(OutboxJob).order_by(OutboxJob.id.desc()), page)


def waiting_mail(actor: Any, page: PageRequest) -> Page[OutboxJob]:
    """One page of the mail not sent yet: waiting, retrying or given up, oldest first
    (administrators only)."""
    require_admin(actor)
    return paginate(
        select(OutboxJob)
        .where(OutboxJob.kind == "mail", OutboxJob.state != JobState.DONE)
        .order_by(OutboxJob.id),
        page,
    )


def retry_job(actor: Any, job_id: int) -> OutboxJob:
    """Give a failed job (or one waiting for its next attempt) another attempt now; flushes."""
    require_admin(actor)
    job = session.get(OutboxJob, job_id)
    if job is None:
        raise NotFound("No such job.")
    if job.state not in (JobState.FAILED, JobState.PENDING):
        raise Conflict(_("Only a failed or waiting job can be retried."))
    job.state = JobState.PENDING
    job.run_after = None
    session.info.setdefault(_NEW, []).append(job)
    session.flush()
    return job
