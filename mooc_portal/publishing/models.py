"""The review history of a course: each move of the workflow with the reviewer's comment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course
from mooc_portal.db import Base, utcnow


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
