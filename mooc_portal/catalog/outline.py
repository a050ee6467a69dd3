"""A course's outline: modules in order, each with lessons in order.

Progress tracking and certificates count the lessons of this outline that count toward
completion.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mooc_portal.catalog.models import Course
from mooc_portal.db import Base, PublicIdMixin, TimestampMixin


class LessonKind(StrEnum):
    VIDEO = "video"
    READING = "reading"
    QUIZ = "quiz"
    ASSIGNMENT = "assignment"
    EXTERNAL = "external"


class Module(PublicIdMixin, TimestampMixin, Base):
    """A numbered part of a course's outline."""

    __tablename__ = "mooc_module"
    __table_args__ = (
        CheckConstraint("title <> ''", name="title_not_empty"),
        CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))

    course: Mapped[Course] = relationship()
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Lesson.position",
    )


class Lesson(PublicIdMixin, TimestampMixin, Base):
    """One activity of a module: a video, a reading, a quiz, an assignment or an external link.

    Content is Markdown (rendered to sanitised HTML when shown), or an external URL.
    """

    __tablename__ = "mooc_lesson"
    __table_args__ = (
        CheckConstraint("title <> ''", name="title_not_empty"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        CheckConstraint("minutes IS NULL OR minutes >= 0", name="minutes_not_negative"),
        CheckConstraint(
            "kind IN ('video', 'reading', 'quiz', 'assignment', 'external')", name="kind"
        ),
        CheckConstraint("kind <> 'external' OR external_url IS NOT NULL", name="external_has_url"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_module.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12), default=LessonKind.READING)
    minutes: Mapped[int | None] = mapped_column(Integer)
    counts_toward_completion: Mapped[bool] = mapped_column(Boolean, default=True)
    content: Mapped[str | None] = mapped_column(Text)
    external_url: Mapped[str | None] = mapped_column(String(500))

    module: Mapped[Module] = relationship(back_populates="lessons")


def course_modules(course: Course) -> list[Module]:
    """The course's outline: its modules in order, each with its lessons (two queries)."""
    from sqlalchemy import select

    from mooc_portal.db import session

    return list(
        session.scalars(
            select(Module).where(Module.course_id == course.id).order_by(Module.position)
        )
    )
