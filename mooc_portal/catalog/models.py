"""Courses, their multilingual text, languages, subject areas and runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mooc_portal.catalog.availability import Availability, course_availability, run_availability
from mooc_portal.db import Base, PublicIdMixin, TimestampMixin, utcnow
from mooc_portal.i18n import LocalizedText, localized
from mooc_portal.institutions.models import Institution


class Level(StrEnum):
    INTRODUCTORY = "introductory"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class Pace(StrEnum):
    SELF_PACED = "self_paced"
    INSTRUCTOR_LED = "instructor_led"


class Credential(StrEnum):
    NONE = "none"
    CERTIFICATE = "certificate"
    ECTS = "ects"


class CourseStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class DeliveryMode(StrEnum):
    ONLINE = "online"
    BLENDED = "blended"


class Assessment(StrEnum):
    """How a course's learning is assessed before its credential is given."""

    NONE = "none"
    AUTOMATED = "automated"
    PROCTORED = "proctored"
    SUPERVISED_ON_SITE = "supervised_on_site"


class LanguageKind(StrEnum):
    TEACHING = "teaching"
    SUBTITLE = "subtitle"


def course_is_public(status: str | None, institution_active: bool | None) -> bool:
    """A course is public when it is published by an active institution (``None``: a new
    institution's ``active`` before its flush gives it the default, true). Used through
    :attr:`Course.is_public`; the change feed asks it of the values before a flush too."""
    return status == CourseStatus.PUBLISHED and institution_active is not False


def _values(enum: type[StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum)


class SubjectArea(Base):
    """An ISCED-F 2013 field of education and training (reference data)."""

    __tablename__ = "mooc_subject_area"
    __table_args__ = (CheckConstraint("length(code) BETWEEN 2 AND 4", name="code_length"),)

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))


class CourseLanguagesMixin:
    """A course's teaching and subtitle languages, read from its ``languages`` (a ``Course``
    or the plain rows federation reads for its snapshot)."""

    __slots__ = ()

    if TYPE_CHECKING:  # what the class using the mixin has

        @property
        def languages(self) -> Sequence[_LanguageRow]: ...

    @property
    def teaching_languages(self) -> list[str]:
        return [lang.language for lang in self.languages if lang.kind == LanguageKind.TEACHING]

    @property
    def subtitle_languages(self) -> list[str]:
        return [lang.language for lang in self.languages if lang.kind == LanguageKind.SUBTITLE]


class _LanguageRow(Protocol):
    """A course's language: a ``CourseLanguage``, or a row of one."""

    @property
    def kind(self) -> str: ...
    @property
    def language(self) -> str: ...


@dataclass(frozen=True, slots=True)
class CourseOrigin:
    """A harvested course's source: the peer portal's name, and its page there (enrol there;
    never edited here). See :attr:`Course.origin`."""

    peer_name: str
    url: str | None


class Course(CourseLanguagesMixin, PublicIdMixin, TimestampMixin, Base):
    """A course a partner institution offers; learners enrol in one of its runs."""

    __tablename__ = "mooc_course"
    __table_args__ = (
        UniqueConstraint("institution_id", "code"),
        CheckConstraint(f"level IN ({_values(Level)})", name="level"),
        CheckConstraint(f"pace IN ({_values(Pace)})", name="pace"),
        CheckConstraint(f"credential IN ({_values(Credential)})", name="credential"),
        CheckConstraint(f"status IN ({_values(CourseStatus)})", name="status"),
        CheckConstraint(
            "(credential = 'ects' AND ects_credits IS NOT NULL AND ects_credits > 0) OR "
            "(credential <> 'ects' AND ects_credits IS NULL)",
            name="ects_credits",
        ),
        CheckConstraint("effort_hours IS NULL OR effort_hours > 0", name="effort_positive"),
        CheckConstraint("length_weeks IS NULL OR length_weeks > 0", name="length_positive"),
        CheckConstraint("code <> '' AND slug <> ''", name="code_slug_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(50))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    original_language: Mapped[str] = mapped_column(String(35))
    level: Mapped[str] = mapped_column(String(20), default=Level.INTRODUCTORY)
    pace: Mapped[str] = mapped_column(String(20), default=Pace.INSTRUCTOR_LED)
    effort_hours: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    length_weeks: Mapped[int | None] = mapped_column(Integer)
    credential: Mapped[str] = mapped_column(String(20), default=Credential.NONE)
    ects_credits: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    image: Mapped[str | None] = mapped_column(String(300))
    # What the picture shows, for those who cannot see it (empty: the course's title is said).
    image_alt: Mapped[str | None] = mapped_column(String(300))
    accessibility_statement: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=CourseStatus.DRAFT, index=True)
    published_at: Mapped[datetime | None]
    # A harvested course's page on its own portal, where learners enrol (see ``origin``).
    origin_url: Mapped[str | None] = mapped_column(String(500))

    institution: Mapped[Institution] = relationship(back_populates="courses", lazy="joined")
    translations: Mapped[list[CourseTranslation]] = relationship(
        back_populates="course", cascade="all, delete-orphan", lazy="selectin"
    )
    languages: Mapped[list[CourseLanguage]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CourseLanguage.position"
    )
    subjects: Mapped[list[CourseSubject]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CourseSubject.code"
    )
    runs: Mapped[list[CourseRun]] = relationship(
        back_populates="course",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="CourseRun.start_at",
    )
    recognition: Mapped[CourseRecognition | None] = relationship(
        cascade="all, delete-orphan", lazy="selectin", uselist=False
    )

    def text(self, field: str, language: str) -> LocalizedText:
        return localized(self.translations, field, language, self.original_language)

    @hybrid_property
    def is_public(self) -> bool:
        """Whether visitors, search, enrolment and the change feed see the course: the one
        definition, on an instance and in SQL (``select(Course).where(Course.is_public)``)."""
        institution = self.institution
        return institution is not None and course_is_public(self.status, institution.active)

    @is_public.inplace.expression
    @classmethod
    def _is_public_expression(cls) -> ColumnElement[bool]:
        return and_(
            cls.status == CourseStatus.PUBLISHED,
            cls.institution.has(Institution.active.is_(True)),
        )

    @property
    def origin(self) -> CourseOrigin | None:
        """Where a harvested course comes from; None for this portal's own courses. A course
        is harvested with its institution (``Institution.harvested_from``)."""
        institution = self.institution
        if institution is None or institution.harvested_from is None:
            return None
        return CourseOrigin(peer_name=institution.harvested_from, url=self.origin_url)

    def availability(self, now: datetime | None = None) -> Availability:
        """The state of the course's most useful run."""
        return course_availability(self.runs, now or utcnow())

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"


class CourseTranslation(Base):
    """A course's title, summary, description and learning outcomes in one language."""

    __tablename__ = "mooc_course_translation"
    __table_args__ = (
        UniqueConstraint("course_id", "language"),
        CheckConstraint("title <> ''", name="title_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("mooc_course.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(35))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    learning_outcomes: Mapped[str | None] = mapped_column(Text)

    course: Mapped[Course] = relationship(back_populates="translations")


class CourseRecognition(Base):
    """What recognising a course's credential needs (the European approach to
    micro-credentials, the ASEM recognition discussion), and whom the course is for.

    ``workload_hours`` is the whole notional learning time; ECTS credits stay on the course
    (with its credential). ``eqf_level`` is the European Qualifications Framework level (1-8);
    ``national_framework`` names the national framework and the level in it (e.g. "Korean
    Qualifications Framework, level 6"). ``quality_assurance`` names the body that reviewed the
    course. ``stackable``: the credential counts toward a larger one. The marks ``tvet``,
    ``lifelong_learning`` and ``with_industry`` say the course is technical and vocational, made
    for lifelong learners, or made with industry partners.
    """

    __tablename__ = "mooc_course_recognition"
    __table_args__ = (
        CheckConstraint(f"assessment IN ({_values(Assessment)})", name="assessment"),
        CheckConstraint("eqf_level IS NULL OR eqf_level BETWEEN 1 AND 8", name="eqf_level"),
        CheckConstraint("workload_hours IS NULL OR workload_hours > 0", name="workload_positive"),
    )

    course_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course.id", ondelete="CASCADE"), primary_key=True
    )
    workload_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    eqf_level: Mapped[int | None] = mapped_column(Integer)
    national_framework: Mapped[str | None] = mapped_column(String(200))
    assessment: Mapped[str] = mapped_column(String(20), default=Assessment.NONE)
    identity_check: Mapped[bool] = mapped_column(Boolean, default=False)
    quality_assurance: Mapped[str | None] = mapped_column(String(200))
    prerequisites: Mapped[str | None] = mapped_column(Text)
    stackable: Mapped[bool] = mapped_column(Boolean, default=False)
    tvet: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    lifelong_learning: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    with_industry: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    @property
    def audiences(self) -> list[str]:
        """The audience and type marks set, in a fixed order."""
        return [name for name in AUDIENCES if getattr(self, name)]


AUDIENCES = ("tvet", "lifelong_learning", "with_industry")
"""The audience and type marks of a course (columns of :class:`CourseRecognition`)."""


class CourseLanguage(Base):
    """A language a course is taught in, or has subtitles in (BCP 47 tag)."""

    __tablename__ = "mooc_course_language"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_values(LanguageKind)})", name="kind"),
        Index("ix_mooc_course_language_language", "language", "kind"),
    )

    course_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    language: Mapped[str] = mapped_column(String(35), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class CourseSubject(Base):
    """A course's subject area, as an ISCED-F 2013 code."""

    __tablename__ = "mooc_course_subject"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(
        ForeignKey("mooc_subject_area.code", ondelete="RESTRICT"), primary_key=True, index=True
    )

    area: Mapped[SubjectArea] = relationship(lazy="joined")


class CourseRun(PublicIdMixin, TimestampMixin, Base):
    """One offering of a course, with its dates, enrolment window and capacity."""

    __tablename__ = "mooc_course_run"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint(
            "end_at IS NULL OR start_at IS NULL OR end_at > start_at", name="ends_after_start"
        ),
        CheckConstraint(
            "enrollment_end_at IS NULL OR end_at IS NULL OR enrollment_end_at <= end_at",
            name="enrollment_closes_before_end",
        ),
        CheckConstraint(
            "enrollment_start_at IS NULL OR enrollment_end_at IS NULL "
            "OR enrollment_start_at < enrollment_end_at",
            name="enrollment_window_order",
        ),
        CheckConstraint(f"delivery_mode IN ({_values(DeliveryMode)})", name="delivery_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    enrollment_start_at: Mapped[datetime | None]
    enrollment_end_at: Mapped[datetime | None]
    capacity: Mapped[int | None] = mapped_column(Integer)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    delivery_mode: Mapped[str] = mapped_column(String(10), default=DeliveryMode.ONLINE)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)

    course: Mapped[Course] = relationship(back_populates="runs")

    def availability(self, now: datetime | None = None) -> Availability:
        return run_availability(self, now or utcnow())

    def __repr__(self) -> str:
        return f"<CourseRun {self.uuid}>"


class CourseSearchDocument(Base):
    """The text search matches for one course, in every stored language.

    PostgreSQL indexes it with a GIN index on ``to_tsvector('simple', document)``; SQLite keeps
    an FTS5 table ``mooc_course_fts`` in step with it by triggers (see the migrations).
    """

    __tablename__ = "mooc_course_search"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(Text, default="")


class SearchWord(Base):
    """A word of the catalog's search documents, for "Did you mean ...?" (``catalog/spelling``).

    PostgreSQL finds near words with a ``pg_trgm`` GIN index on it; SQLite with a table of each
    word's trigrams (``mooc_search_trigram``, made by the migration). The ``C`` collation on
    PostgreSQL makes a range of the primary key a prefix search.
    """

    __tablename__ = "mooc_search_word"

    word: Mapped[str] = mapped_column(
        String(40).with_variant(String(40, collation="C"), "postgresql"), primary_key=True
    )


class CatalogEntry(Base):
    """A public course as the catalog search filters and counts it: one narrow row per public
    course (none for drafts, withdrawn courses or those of inactive institutions).

    It repeats the course's facet values and holds its availability as a
    :class:`~mooc_portal.catalog.availability.Timeline` (boundaries compared to ``now``), so a
    search reads one row per match and computes nothing from the runs. Kept in step with the
    courses, runs and institutions on every flush (``catalog.entries``); ``flask portal
    reindex`` rebuilds it.
    """

    __tablename__ = "mooc_catalog_entry"
    # Migration 0009 also makes ix_mooc_catalog_entry_newest on (published_at DESC,
    # course_id): browsing the newest courses walks it and stops after a page (a descending
    # index, which the schema comparison cannot reflect, so it is not declared here).

    course_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course.id", ondelete="CASCADE"), primary_key=True
    )
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE")
    )
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(20))
    pace: Mapped[str] = mapped_column(String(20))
    published_at: Mapped[datetime | None]
    # The teaching languages and the ISCED-F broad fields (two digits), space-separated: what
    # the course added to the facet counts, so that a change takes exactly that back.
    languages: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[str] = mapped_column(Text, default="")
    open_from_1: Mapped[datetime]
    open_until_1: Mapped[datetime]
    open_from_2: Mapped[datetime]
    open_until_2: Mapped[datetime]
    open_from_3: Mapped[datetime]
    open_until_3: Mapped[datetime]
    upcoming_until: Mapped[datetime]
    running_until: Mapped[datetime]
    unscheduled: Mapped[bool] = mapped_column(Boolean)
    overflow: Mapped[bool] = mapped_column(Boolean)


class CatalogFacetCount(Base):
    """How many public courses share a facet value, per institution, level and pace.

    ``facet`` is ``course`` (every course once, ``value`` empty), ``language`` (a teaching
    language) or ``field`` (an ISCED-F broad field). Browsing without a search text sums these
    rows instead of counting the whole catalog; they change in the same transaction as the
    :class:`CatalogEntry` rows, so a count never disagrees with the results.
    """

    __tablename__ = "mooc_catalog_facet_count"
    __table_args__ = (CheckConstraint("n >= 0", name="n_not_negative"),)

    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    region: Mapped[str] = mapped_column(String(10), primary_key=True)
    level: Mapped[str] = mapped_column(String(20), primary_key=True)
    pace: Mapped[str] = mapped_column(String(20), primary_key=True)
    facet: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(35), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class CatalogVersion(Base):
    """One catalog-changing transaction: the courses whose entries it rewrote.

    Versions are numbered in commit order (the number is taken under a lock just before the
    commit), so a process whose in-memory catalog columns (``catalog.columns``) are at version
    ``v`` reads the versions after ``v`` and reloads exactly those courses' entries. ``token``
    tells a version apart from another one with the same number (after a rollback); ``changed``
    holds the course ids, space-separated, or ``*`` for every course (a rebuild). Only the last
    versions are kept; a process further behind reloads everything.
    """

    __tablename__ = "mooc_catalog_version"

    version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))
    changed: Mapped[str] = mapped_column(Text)


class CatalogPending(Base):
    """A course whose entry the current transaction rewrote, until its commit records them all
    as a :class:`CatalogVersion` (and deletes these rows): other transactions never see a row
    here, and a search in this one reads its own changes from them."""

    __tablename__ = "mooc_catalog_pending"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(Integer)


class CourseSlugRedirect(Base):
    """A web address a course had before staff changed it; its page redirects to the new one."""

    __tablename__ = "mooc_course_slug_redirect"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course.id", ondelete="CASCADE"), index=True
    )
