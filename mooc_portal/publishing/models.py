"""The review history of a course: each move of the workflow with the reviewer's comment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course
from mooc_portal.db import Base, PublicIdMixin, utcnow


class ReviewEvent(Base):
    """A move of a course between review states (``from_status`` -> ``to_status``)."""

    __tablename__ = "mooc_review_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("mooc_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    actor: Mapped[Account | None] = relationship(lazy="joined")


class MediaFile(Base):
    """An uploaded image kept in the database (``MOOC_MEDIA_STORAGE = "database"``), so every
    host serves it. Its name is random and never reused: the bytes of a name never change."""

    __tablename__ = "mooc_media_file"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourseImport(Base):
    """A course import too large to check or apply while a request waits
    (``MOOC_IMPORT_INLINE_ROWS``): the uploaded file, kept until a background job has run
    ``import_courses`` on it, then the job's report (the rows as the import page shows them)."""

    __tablename__ = "mooc_course_import"
    __table_args__ = (CheckConstraint("state IN ('pending', 'done', 'failed')", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_account.id", ondelete="SET NULL"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    apply: Mapped[bool] = mapped_column(Boolean)
    rows: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class OutlineRemoval(PublicIdMixin, Base):
    """A module or lesson removed from a course's outline, kept so that the removal can be
    undone: a snapshot (``payload``) of the rows the removal deleted -- the module or lesson with
    its identifiers and position, its translations, the lessons of a module, and the learners'
    completions of those lessons -- from which :func:`mooc_portal.publishing.outline.undo_removal`
    puts them back as they were. Snapshots older than a day are dropped at the next removal.
    """

    __tablename__ = "mooc_outline_removal"
    __table_args__ = (CheckConstraint("kind IN ('module', 'lesson')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(6))
    title: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    removed_at: Mapped[datetime] = mapped_column(default=utcnow)
