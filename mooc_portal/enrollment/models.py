"""Enrolments of learners in course runs, and the recorded history of their states."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import CourseRun
from mooc_portal.db import Base, PublicIdMixin, TimestampMixin, utcnow


class EnrollmentState(StrEnum):
    PENDING = "pending"
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    """The run was cancelled while the learner was pending, enrolled or waitlisted."""

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    EnrollmentState.PENDING: _l("Pending approval"),
    EnrollmentState.ENROLLED: _l("Enrolled"),
    EnrollmentState.WAITLISTED: _l("Waitlisted"),
    EnrollmentState.REJECTED: _l("Rejected"),
    EnrollmentState.WITHDRAWN: _l("Withdrawn"),
    EnrollmentState.COMPLETED: _l("Completed"),
    EnrollmentState.CANCELLED: _l("Run cancelled"),
}

ACTIVE_STATES = (
    EnrollmentState.PENDING,
    EnrollmentState.ENROLLED,
    EnrollmentState.WAITLISTED,
    EnrollmentState.COMPLETED,
)
"""A learner holds at most one enrolment in one of these states per course."""

SEAT_STATES = (EnrollmentState.PENDING, EnrollmentState.ENROLLED)
"""States that take one of a run's seats."""

CANCELLABLE_STATES = (EnrollmentState.PENDING, EnrollmentState.ENROLLED, EnrollmentState.WAITLISTED)
"""States that cancelling the run ends (a completion, a rejection, a withdrawal stay)."""


def _in(states: tuple[EnrollmentState, ...] | type[EnrollmentState]) -> str:
    return ", ".join(f"'{state.value}'" for state in states)


ACTIVE_SQL = f"state IN ({_in(ACTIVE_STATES)})"


class Enrollment(PublicIdMixin, TimestampMixin, Base):
    """A learner's place in one run of a course.

    ``course_id`` repeats the run's course so that the database itself can hold "one active
    enrolment per learner per course" as a partial unique index. ``waitlist_number`` orders the
    waitlist of a run (first come, first promoted); it is set only while waitlisted.
    """

    __tablename__ = "mooc_enrollment"
    __table_args__ = (
        CheckConstraint(f"state IN ({_in(EnrollmentState)})", name="state"),
        CheckConstraint(
            "(state = 'waitlisted') = (waitlist_number IS NOT NULL)", name="waitlist_number"
        ),
        CheckConstraint(
            "state <> 'rejected' OR (reason IS NOT NULL AND reason <> '')",
            name="rejection_has_reason",
        ),
        Index(
            "uq_mooc_enrollment_active_per_course",
            "course_id",
            "account_id",
            unique=True,
            sqlite_where=ACTIVE_SQL,
            postgresql_where=ACTIVE_SQL,
        ),
        Index("ix_mooc_enrollment_run_state", "run_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("mooc_course_run.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_account.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    waitlist_number: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None]

    run: Mapped[CourseRun] = relationship(lazy="joined")
    account: Mapped[Account] = relationship(lazy="joined")
    transitions: Mapped[list[EnrollmentTransition]] = relationship(
        back_populates="enrollment",
        cascade="all, delete-orphan",
        order_by="EnrollmentTransition.id",
        lazy="selectin",
    )

    @property
    def state_enum(self) -> EnrollmentState:
        return EnrollmentState(self.state)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    def __repr__(self) -> str:
        return f"<Enrollment {self.uuid} {self.state}>"


class EnrollmentTransition(Base):
    """One change of an enrolment's state: from, to, who, when and why."""

    __tablename__ = "mooc_enrollment_transition"
    __table_args__ = (
        CheckConstraint(f"to_state IN ({_in(EnrollmentState)})", name="to_state"),
        CheckConstraint(
            f"from_state IS NULL OR from_state IN ({_in(EnrollmentState)})", name="from_state"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_enrollment.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("mooc_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)

    enrollment: Mapped[Enrollment] = relationship(back_populates="transitions")
    actor: Mapped[Account | None] = relationship(lazy="joined")

    @property
    def to_label(self) -> str:
        return EnrollmentState(self.to_state).label


class SharingConsent(Base):
    """What a learner agreed a partner institution receives about them.

    Name and e-mail are always shared with the institution whose course the learner joins (it
    runs the course); country, progress and completion only when agreed here. A change is a new
    row: the latest row of an (account, institution) pair is in force, older rows are the
    history. ``enrollment_id`` is the enrolment the agreement was given for.
    """

    __tablename__ = "mooc_sharing_consent"
    __table_args__ = (
        Index("ix_mooc_sharing_consent_account_institution", "account_id", "institution_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("mooc_account.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE"), index=True
    )
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_enrollment.id", ondelete="SET NULL"), index=True
    )
    share_country: Mapped[bool] = mapped_column(Boolean, default=False)
    share_progress: Mapped[bool] = mapped_column(Boolean, default=False)
    share_completion: Mapped[bool] = mapped_column(Boolean, default=False)
    notice_version: Mapped[int | None] = mapped_column(Integer)
    agreed_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "ACTIVE_STATES",
    "CANCELLABLE_STATES",
    "SEAT_STATES",
    "Enrollment",
    "EnrollmentState",
    "EnrollmentTransition",
    "SharingConsent",
]
