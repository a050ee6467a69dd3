"""What a learner did in a run's course space: lessons completed, the last lesson visited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mooc_portal.db import Base, utcnow


class LessonCompletion(Base):
    """A lesson an enrolled learner marked as complete; at most one per enrolment and lesson.

    A lesson removed from the outline takes its completions with it (the progress counts the
    current outline only).
    """

    __tablename__ = "mooc_lesson_completion"
    __table_args__ = (UniqueConstraint("enrollment_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint (enrollment_id first) serves lookups by enrolment.
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("mooc_enrollment.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_lesson.id", ondelete="CASCADE"), index=True
    )
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)


class LessonVisit(Base):
    """Where a learner left off in a run: the last lesson they opened, and when."""

    __tablename__ = "mooc_lesson_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_enrollment.id", ondelete="CASCADE"), unique=True
    )
    lesson_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_lesson.id", ondelete="SET NULL"), index=True
    )
    visited_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = ["LessonCompletion", "LessonVisit"]


class ReportedProgress(Base):
    """The progress a partner platform last reported for an enrolment, and by whom.

    Written by ``xapi`` from the statements a platform sends; read by progress's reports (the
    table keeps its ``mooc_xapi_`` name)."""

    __tablename__ = "mooc_xapi_reported_progress"
    __table_args__ = (CheckConstraint("percent BETWEEN 0 AND 100", name="percent_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_enrollment.id", ondelete="CASCADE"), unique=True
    )
    percent: Mapped[int] = mapped_column(Integer)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
