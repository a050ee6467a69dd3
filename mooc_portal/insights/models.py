"""Summaries the insights pages read: rebuilt as a whole by ``refresh_insights``.

They hold counts only, never a learner: a row says how many enrolments of one month, one
offering institution, one ISCED-F broad field and one learner country there were.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mooc_portal.db import Base

ALL_FIELDS = ""
"""The ``field`` of the rows that count every course once (a course in two fields is in two
per-field rows, so per-field rows must not be added up for a total)."""

UNKNOWN_COUNTRY = ""
"""The ``learner_country`` of learners who did not say where they live."""


class InsightActivity(Base):
    """Enrolments, completions and certificates per month, offering institution, field and
    learner country: the cube behind the time series, the Asia-Europe flow and the headline
    figures.

    ``month`` is ``YYYY-MM`` in UTC: enrolments count in the month they were made, completions
    in the month the learner completed, certificates in the month they were issued.
    ``learner_region`` is ``asia``, ``europe`` or ``other`` (outside ASEM or unknown).
    """

    __tablename__ = "mooc_insight_activity"
    __table_args__ = (Index("ix_mooc_insight_activity_field_month", "field", "month"),)

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(2), primary_key=True)
    learner_country: Mapped[str] = mapped_column(String(2), primary_key=True)
    learner_region: Mapped[str] = mapped_column(String(6))
    offering_region: Mapped[str] = mapped_column(String(6))
    enrolled: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    certified: Mapped[int] = mapped_column(Integer, default=0)


class InsightTotal(Base):
    """The activity cube summed over every partner: what the administrators' figures of all
    partners read (a few thousand rows instead of a million at the initiative's scale).

    The same columns as :class:`InsightActivity` but the institution; the offering region
    stays, so the region filter is served too.
    """

    __tablename__ = "mooc_insight_total"
    __table_args__ = (Index("ix_mooc_insight_total_field_month", "field", "month"),)

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    field: Mapped[str] = mapped_column(String(2), primary_key=True)
    learner_country: Mapped[str] = mapped_column(String(2), primary_key=True)
    offering_region: Mapped[str] = mapped_column(String(6), primary_key=True)
    learner_region: Mapped[str] = mapped_column(String(6))
    enrolled: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    certified: Mapped[int] = mapped_column(Integer, default=0)


class InsightRun(Base):
    """One run's completion funnel and waiting list, as of the last refresh.

    ``enrolled`` counts learners who hold or held a place to the end (enrolled or completed);
    ``started`` those who opened or completed a lesson; ``halfway`` those who completed at least
    half of the counted lessons; ``completed`` and ``certified`` those who finished and hold a
    valid certificate. ``seats_taken`` counts pending and enrolled learners (what the capacity
    limits); ``waiting`` the learners on the waiting list.
    """

    __tablename__ = "mooc_insight_run"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course_run.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[int] = mapped_column(ForeignKey("mooc_course.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE"), index=True
    )
    start_month: Mapped[str | None] = mapped_column(String(7))
    capacity: Mapped[int | None] = mapped_column(Integer)
    enrolled: Mapped[int] = mapped_column(Integer, default=0)
    started: Mapped[int] = mapped_column(Integer, default=0)
    halfway: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    certified: Mapped[int] = mapped_column(Integer, default=0)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    waiting: Mapped[int] = mapped_column(Integer, default=0)


class InsightSnapshot(Base):
    """When the summaries were last rebuilt, and the figures that cannot be added up from them
    (distinct learners). One row, ``id`` 1."""

    __tablename__ = "mooc_insight_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed_at: Mapped[datetime]
    learners: Mapped[int] = mapped_column(Integer, default=0)
    asia_learners: Mapped[int] = mapped_column(Integer, default=0)
    europe_learners: Mapped[int] = mapped_column(Integer, default=0)
    learner_countries: Mapped[int] = mapped_column(Integer, default=0)


__all__ = [
    "ALL_FIELDS",
    "UNKNOWN_COUNTRY",
    "InsightActivity",
    "InsightRun",
    "InsightSnapshot",
    "InsightTotal",
]
