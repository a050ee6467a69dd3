"""Certificates of completion, verifiable by their code."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mooc_portal.db import Base, PublicIdMixin, utcnow
from mooc_portal.enrollment.models import Enrollment

if TYPE_CHECKING:
    from mooc_portal.institutions.models import Institution

STATUS_LIST_LENGTH = 131072
"""Bits per Bitstring Status List: 16 KiB, the specification's minimum (herd privacy)."""


class Certificate(PublicIdMixin, Base):
    """Issued once per completed enrolment of a course that offers one.

    The names are copied at issue so that the certificate keeps saying what it said when it
    was issued. ``code`` is random and unguessable: it is the public verification key.
    """

    __tablename__ = "mooc_certificate"
    __table_args__ = (
        CheckConstraint("length(code) >= 20", name="code_long_enough"),
        CheckConstraint(
            "(revoked_at IS NULL AND revoke_reason IS NULL) OR "
            "(revoked_at IS NOT NULL AND revoke_reason IS NOT NULL AND revoke_reason <> '')",
            name="revocation_has_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_enrollment.id", ondelete="RESTRICT"), unique=True
    )
    code: Mapped[str] = mapped_column(String(64), unique=True)
    learner_name: Mapped[str] = mapped_column(String(120))
    course_title: Mapped[str] = mapped_column(String(200))
    institution_name: Mapped[str] = mapped_column(String(200))
    run_start_at: Mapped[datetime | None]
    run_end_at: Mapped[datetime | None]
    completed_at: Mapped[datetime]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    # The reason is shown to the public (page, credential address) only when the administrator
    # who revoked the certificate chose so; the learner is always told it by mail.
    revoke_reason_public: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_account.id", ondelete="SET NULL")
    )
    # Set when the holder deleted their account and kept the certificate: the salted hash of
    # their e-mail address that the Open Badge names them by (the address itself is erased).
    holder_identity_hash: Mapped[str | None] = mapped_column(String(80))

    enrollment: Mapped[Enrollment] = relationship(lazy="joined")

    @property
    def status_list_number(self) -> int:
        """The revocation status list this certificate's bit is in (numbered from 1)."""
        return (self.id - 1) // STATUS_LIST_LENGTH + 1

    @property
    def status_list_index(self) -> int:
        """Its bit in that list: the id, so every certificate has its own, fixed at issue."""
        return (self.id - 1) % STATUS_LIST_LENGTH

    @property
    def institution(self) -> Institution:
        """The institution that offered the course, whose name pages show in the visitor's
        language (``institution_name`` is the one the credential was issued with)."""
        return self.enrollment.run.course.institution

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<Certificate {self.code}>"
