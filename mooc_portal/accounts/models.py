"""Accounts, institution memberships and login attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mooc_portal.db import Base, PublicIdMixin, TimestampMixin, utcnow
from mooc_portal.institutions.models import Institution


class StaffRole(StrEnum):
    EDITOR = "editor"
    MANAGER = "manager"


class Account(PublicIdMixin, TimestampMixin, Base):
    """A person using the portal. Everyone is a learner; some are staff or administrators.

    In a host application an account is linked to the host's user by ``host_user_id`` and has
    no password of its own.
    """

    __tablename__ = "mooc_account"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    host_user_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    country: Mapped[str | None] = mapped_column(String(2))
    preferred_language: Mapped[str | None] = mapped_column(String(35))
    timezone: Mapped[str | None] = mapped_column(String(64))
    last_login_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="account", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login's user protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.uuid)

    @property
    def is_staff(self) -> bool:
        return bool(self.memberships)

    def role_in(self, institution_id: int) -> StaffRole | None:
        for membership in self.memberships:
            if membership.institution_id == institution_id:
                return StaffRole(membership.role)
        return None

    def may_act_for(self, institution_id: int, role: StaffRole = StaffRole.EDITOR) -> bool:
        """Whether the account holds ``role`` in the institution (a manager may do what an
        editor may) or is an administrator. The one rule every domain's checks rest on."""
        if self.is_admin:
            return True
        held = self.role_in(institution_id)
        return held is not None and (role == StaffRole.EDITOR or held == StaffRole.MANAGER)

    def __repr__(self) -> str:
        return f"<Account {self.email}>"


class Membership(Base):
    """An account's role (editor or manager) in a partner institution."""

    __tablename__ = "mooc_membership"
    __table_args__ = (
        UniqueConstraint("account_id", "institution_id"),
        CheckConstraint(f"role IN ('{StaffRole.EDITOR}', '{StaffRole.MANAGER}')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("mooc_account.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(10), default=StaffRole.EDITOR)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship(back_populates="memberships")
    institution: Mapped[Institution] = relationship(lazy="joined")


class LoginAttempt(Base):
    """A failed login, kept to slow down password guessing."""

    __tablename__ = "mooc_login_attempt"
    __table_args__ = (Index("ix_mooc_login_attempt_email_at", "email", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
