"""Audit log entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mooc_portal.accounts.models import Account
from mooc_portal.db import Base, utcnow


class AuditEntry(Base):
    """One change to a course, run, outline, institution profile or staff list.

    ``entity`` names the kind of object (``course``, ``run``, ...), ``entity_id`` its id;
    ``before`` and ``after`` hold the changed values as JSON (None when created or removed).
    The actor is kept by id and e-mail so the entry survives the account.
    """

    __tablename__ = "mooc_audit_entry"
    __table_args__ = (
        Index("ix_mooc_audit_entry_entity", "entity", "entity_id"),
        Index("ix_mooc_audit_entry_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_account.id", ondelete="SET NULL"), index=True
    )
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="SET NULL"), index=True
    )
    summary: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    actor: Mapped[Account | None] = relationship(lazy="joined")
