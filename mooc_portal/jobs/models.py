"""The outbox: one row per piece of background work, its state and its attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mooc_portal.db import Base, utcnow


class JobState(StrEnum):
    PENDING = "pending"  # written; waits to be handed to the queue (or for its next attempt)
    QUEUED = "queued"  # handed to the queue
    RUNNING = "running"  # claimed by a worker until ``locked_until``
    DONE = "done"
    FAILED = "failed"  # gave up after the last attempt; an administrator may retry it


class OutboxJob(Base):
    """One piece of background work, written in the same commit as the change that caused it.

    ``dedupe_key`` is unique: writing the same work twice (a request retried, a job run twice)
    stores it once. A worker claims a row by moving it to ``running`` with a lease
    (``locked_until``); a row still ``running`` after its lease belongs to a worker that died,
    and is retried. ``topic`` groups the work about one thing (``peer:3``), so that one peer has
    at most one harvest waiting or running.
    """

    __tablename__ = "mooc_outbox"
    __table_args__ = (
        CheckConstraint(
            "state IN ('pending', 'queued', 'running', 'done', 'failed')", name="state"
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_mooc_outbox_state_run_after", "state", "run_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    topic: Mapped[str | None] = mapped_column(String(100), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default=JobState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    run_after: Mapped[datetime | None]
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def duration(self) -> float | None:
        """Seconds the last attempt took (None while it has not finished)."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def __repr__(self) -> str:
        return f"<OutboxJob {self.id} {self.kind} {self.state}>"
