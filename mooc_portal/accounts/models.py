"""Accounts, institution memberships and login attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mooc_portal.db import Base, PublicIdMixin, TimestampMixin, utcnow
from mooc_portal.institutions.models import Institution

PLACEHOLDER_DOMAIN = "erased.invalid"
"""The address domain of the accounts that stand in for erased or expired learners."""

PLACEHOLDER_NAMES = {"erasure": _l("Erased learner"), "retention": _l("Expired records")}
"""What a placeholder account is called, by the reason in its address (``<reason>-<random>@``)."""


class StaffRole(StrEnum):
    EDITOR = "editor"
    MANAGER = "manager"


class Account(PublicIdMixin, TimestampMixin, Base):
    """A person using the portal. Everyone is a learner; some are staff or administrators.

    In a host application an account is linked to the host's user by ``host_user_id`` and has
    no password of its own.

    ``email_verified_at`` is set once the person has followed a link mailed to ``email``; until
    then the account may browse and enrol, but holds no staff role. A new address waits in
    ``pending_email`` until its own link is followed. ``session_version`` is part of the
    login identity: raising it ends every session and remember-me cookie of the account.
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
    email_verified_at: Mapped[datetime | None]
    pending_email: Mapped[str | None] = mapped_column(String(254))
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

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
        # The session version makes a stored session or remember-me cookie stop working once
        # the account logs out, changes or resets its password, or logs out everywhere.
        return f"{self.uuid}.{self.session_version}"

    @property
    def shown_name(self) -> str:
        """The name to show: a placeholder standing in for an erased (or expired) learner is
        named in the viewer's language, whatever English name it was stored with."""
        local, _at, domain = self.email.partition("@")
        if domain == PLACEHOLDER_DOMAIN:
            label = PLACEHOLDER_NAMES.get(local.partition("-")[0])
            if label is not None:
                return str(label)
        return self.display_name

    @property
    def email_verified(self) -> bool:
        """Whether the address is proven: a link sent to it was followed, or the account is
        linked to a host application's user (the host vouches for its users)."""
        return self.email_verified_at is not None or self.host_user_id is not None

    @property
    def active_memberships(self) -> list[Membership]:
        """The accepted memberships; none while the address is unverified."""
        if not self.email_verified:
            return []
        return [m for m in self.memberships if m.accepted_at is not None]

    @property
    def is_staff(self) -> bool:
        return bool(self.active_memberships)

    def role_in(self, institution_id: int) -> StaffRole | None:
        for membership in self.active_memberships:
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
    """An account's role (editor or manager) in a partner institution.

    An invitation is a membership with no ``accepted_at``: it grants nothing until the invitee
    follows the single-use link mailed to the address (``invitation_nonce`` is the secret in
    that link, cleared on acceptance).
    """

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
    accepted_at: Mapped[datetime | None]
    invitation_nonce: Mapped[str | None] = mapped_column(String(64))

    account: Mapped[Account] = relationship(back_populates="memberships")
    institution: Mapped[Institution] = relationship(lazy="joined")


class LoginAttempt(Base):
    """A failed login, kept to slow down password guessing (per address and per account)."""

    __tablename__ = "mooc_login_attempt"
    __table_args__ = (
        Index("ix_mooc_login_attempt_email_at", "email", "at"),
        Index("ix_mooc_login_attempt_remote_addr_at", "remote_addr", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class MailRequest(Base):
    """A mail sent on an anonymous visitor's request (a password reset, a registration
    notice), kept to limit how many one address or one network address may ask for."""

    __tablename__ = "mooc_mail_request"
    __table_args__ = (
        Index("ix_mooc_mail_request_kind_email_at", "kind", "email", "at"),
        Index("ix_mooc_mail_request_kind_remote_addr_at", "kind", "remote_addr", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(254))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
