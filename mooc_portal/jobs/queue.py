"""The queue itself: RQ on Redis (``MOOC_REDIS_URL``); absent, jobs run where they are written.

RQ was chosen over Celery and Dramatiq because it needs nothing but Redis (which the portal
already uses for caches and rate limits), has no broker or result-backend settings to get
wrong, and its jobs are plain functions. The portal keeps the truth about each job in its own
database (the outbox, see ``services``): RQ only carries "run outbox job N" to a worker, so a
Redis that restarts empty loses nothing. Retries, backoff and schedules are the outbox's, not
rq-scheduler's, so no second scheduler process is needed.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy import select, update

from mooc_portal.db import session, utcnow
from mooc_portal.jobs.models import JobState, OutboxJob

log = logging.getLogger(__name__)


def configured() -> bool:
    """True when the portal hands its jobs to RQ (``MOOC_REDIS_URL`` is set)."""
    return bool(current_app.config["MOOC_REDIS_URL"])


def connection() -> Redis:
    """The app's Redis connection (short timeouts: a lost Redis must not hold up a request)."""
    extras = current_app.extensions["mooc_portal"].extras
    redis: Redis | None = extras.get("redis")
    if redis is None:
        redis = Redis.from_url(
            current_app.config["MOOC_REDIS_URL"],
            socket_connect_timeout=1,
            socket_timeout=5,
            health_check_interval=30,
        )
        extras["redis"] = redis
    return redis


def check_queue() -> None:
    """``/readyz``: the job queue's Redis answers (raises while it does not)."""
    connection().ping()


def rq_queue() -> Queue:
    return Queue(current_app.config["MOOC_QUEUE_NAME"], connection=connection())


def rq_job_id(job_id: int, attempts: int) -> str:
    """The RQ id of an outbox job's next attempt: stable, so the relay can look it up."""
    return f"{current_app.config['MOOC_QUEUE_NAME']}-{job_id}-{attempts}"


def push(ids: list[int]) -> int:
    """Put these outbox jobs on the queue and mark them ``queued``; commits. Raises when Redis
    cannot be reached (the rows then stay as they were)."""
    from mooc_portal.jobs.services import lease_seconds

    rows = session.execute(
        select(OutboxJob.id, OutboxJob.kind, OutboxJob.attempts).where(
            OutboxJob.id.in_(ids), OutboxJob.state.in_((JobState.PENDING, JobState.QUEUED))
        )
    ).all()
    session.rollback()
    if not rows:
        return 0
    queue = rq_queue()
    for job_id, kind, attempts in rows:
        queue.enqueue_call(
            "mooc_portal.jobs.queue.perform",
            args=(job_id,),
            job_id=rq_job_id(job_id, attempts),
            timeout=lease_seconds(kind),
            result_ttl=60,
            failure_ttl=24 * 3600,
            description=f"outbox job {job_id} ({kind})",
        )
    session.execute(
        update(OutboxJob)
        .where(OutboxJob.id.in_([r.id for r in rows]), OutboxJob.state == JobState.PENDING)
        .values(state=JobState.QUEUED, queued_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return len(rows)


def lost_jobs() -> list[int]:
    """Jobs marked ``queued`` that the queue no longer holds (Redis restarted empty)."""
    rows = session.execute(
        select(OutboxJob.id, OutboxJob.attempts).where(OutboxJob.state == JobState.QUEUED)
    ).all()
    session.rollback()
    redis = connection()
    return [
        job_id for job_id, attempts in rows if not Job.exists(rq_job_id(job_id, attempts), redis)
    ]


def perform(job_id: int) -> str | None:
    """What the RQ worker runs: one outbox job, in the worker's app context."""
    from mooc_portal.jobs.services import run_job

    return run_job(job_id)


class PortalWorker(SimpleWorker):
    """RQ's worker that runs each job inside the portal's app context, in its own process.

    ``SimpleWorker`` (no fork per job): RQ's forking worker puts the job in a process group of
    its own, so a job would outlive its killed worker, and a forked child must not share the
    parent's database connections. A job's own deadline bounds it; RQ's timeout backs it up.
    """

    flask_app: Flask

    def perform_job(self, job: Any, queue: Any, execution: Any) -> bool:
        with self.flask_app.app_context():
            return bool(super().perform_job(job, queue, execution))


def relay_forever(app: Flask, stop: threading.Event) -> None:
    """The relay loop: every MOOC_JOB_RELAY_INTERVAL seconds, until ``stop`` is set."""
    from mooc_portal.jobs.services import relay_once

    interval = float(app.config["MOOC_JOB_RELAY_INTERVAL"])
    while not stop.is_set():
        with app.app_context():
            try:
                relay_once()
            except Exception:  # Redis or the database away: try again next turn
                session.rollback()
                log.warning("The job relay could not finish a turn", exc_info=True)
        stop.wait(interval)


def run_worker(app: Flask, *, burst: bool = False, relay: bool = True) -> None:
    """``flask portal worker``: the relay loop and, with Redis, an RQ worker beside it."""
    from mooc_portal.jobs.services import relay_once

    if not app.config["MOOC_REDIS_URL"]:
        # No queue: this process is the whole worker; it runs due jobs itself.
        stop = threading.Event()
        if burst:
            with app.app_context():
                while relay_once().ran:
                    pass
            return
        relay_forever(app, stop)
        return
    stop = threading.Event()
    thread = None
    if burst:
        with app.app_context():
            relay_once()
    elif relay:
        thread = threading.Thread(target=relay_forever, args=(app, stop), daemon=True)
        thread.start()
    try:
        while True:
            try:
                with app.app_context():
                    worker = PortalWorker([rq_queue()], connection=connection())
                worker.flask_app = app
                worker.work(burst=burst, logging_level="INFO")
                return  # burst done, or stopped by a signal
            except RedisConnectionError:
                # Redis lost: wait for it (the outbox keeps the work meanwhile), then go on.
                log.warning("Redis is not reachable; the worker waits for it")
                time.sleep(float(app.config["MOOC_JOB_RELAY_INTERVAL"]))
                if burst:
                    return
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=10)
