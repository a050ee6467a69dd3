"""A course's outline: modules in order, each with lessons in order.

Progress tracking and certificates count the lessons of this outline that count toward
completion.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mooc_portal.catalog.models import Course
from mooc_portal.db import Base, PublicIdMixin, TimestampMixin
from mooc_portal.i18n import FALLBACK_LANGUAGE, LocalizedText, primary_subtag, translation_in


def _outline_text(obj: Module | Lesson, field: str, language: str, original: str) -> LocalizedText:
    """``field`` in ``language``, else English, else the original-language column (per field)."""
    for wanted in (language, FALLBACK_LANGUAGE):
        if primary_subtag(wanted) == primary_subtag(original):
            break  # the original column is in this language
        translations: list[ModuleTranslation | LessonTranslation] = list(obj.translations)
        best = translation_in(translations, wanted)
        if best is not None and getattr(best, field):
            return LocalizedText(getattr(best, field), best.language)
    return LocalizedText(getattr(obj, field) or "", original)


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
    translations: Mapped[list[ModuleTranslation]] = relationship(
        back_populates="module", cascade="all, delete-orphan", lazy="selectin"
    )

    def text(self, field: str, language: str) -> LocalizedText:
        """The title in ``language``, else English, else the course's original language."""
        return _outline_text(self, field, language, self.course.original_language)


class ModuleTranslation(Base):
    """A module's title in a language other than its course's original one."""

    __tablename__ = "mooc_module_translation"
    __table_args__ = (
        UniqueConstraint("module_id", "language"),
        CheckConstraint("title <> ''", name="title_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("mooc_module.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(35))
    title: Mapped[str] = mapped_column(String(200))

    module: Mapped[Module] = relationship(back_populates="translations")


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
    # A video played in the page (YouTube, Vimeo or an allowed PeerTube instance:
    # mooc_portal.video) and its transcript, shown under it (plain text).
    video_url: Mapped[str | None] = mapped_column(String(500))
    transcript: Mapped[str | None] = mapped_column(Text)

    module: Mapped[Module] = relationship(back_populates="lessons")
    translations: Mapped[list[LessonTranslation]] = relationship(
        back_populates="lesson", cascade="all, delete-orphan", lazy="selectin"
    )

    def text(self, field: str, language: str) -> LocalizedText:
        """Title, content or transcript in ``language``, else English, else the original."""
        return _outline_text(self, field, language, self.module.course.original_language)


class LessonTranslation(Base):
    """A lesson's title, Markdown content and video transcript in a language other than the
    original one (each falls back on its own: :func:`_outline_text`)."""

    __tablename__ = "mooc_lesson_translation"
    __table_args__ = (
        UniqueConstraint("lesson_id", "language"),
        CheckConstraint("title <> ''", name="title_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("mooc_lesson.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(35))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[str | None] = mapped_column(Text)

    lesson: Mapped[Lesson] = relationship(back_populates="translations")


def course_modules(course: Course) -> list[Module]:
    """The course's outline: its modules in order, each with its lessons (two queries)."""
    from sqlalchemy import select

    from mooc_portal.db import session

    return list(
        session.scalars(
            select(Module).where(Module.course_id == course.id).order_by(Module.position)
        )
    )
