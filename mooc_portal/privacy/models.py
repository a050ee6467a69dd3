"""The privacy domain's tables: notices, acknowledgements, consents, requests, pseudonyms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mooc_portal.db import Base, utcnow


class PrivacyNotice(Base):
    """One published version of the privacy notice; its text in each interface language.

    Versions are never changed once published: an acknowledgement points at the exact words the
    learner was shown. A correction is a new version.
    """

    __tablename__ = "mooc_privacy_notice"
    __table_args__ = (CheckConstraint("version > 0", name="version_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_account.id", ondelete="SET NULL")
    )
    changes: Mapped[str] = mapped_column(String(300), default="")

    texts: Mapped[list[PrivacyNoticeText]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", lazy="selectin"
    )

    def text_in(self, language: str, default: str) -> PrivacyNoticeText | None:
        """The text in ``language``, else in ``default`` (the portal's default language, the
        one publishing requires: ``privacy.notices.notice_text``), else the first it has."""
        by_language = {text.language: text for text in self.texts}
        return (
            by_language.get(language)
            or by_language.get(default)
            or (self.texts[0] if self.texts else None)
        )


class PrivacyNoticeText(Base):
    """A notice version's body (Markdown) in one interface language."""

    __tablename__ = "mooc_privacy_notice_text"
    __table_args__ = (
        UniqueConstraint("notice_id", "language"),
        CheckConstraint("body <> ''", name="body_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("mooc_privacy_notice.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(35))
    body: Mapped[str] = mapped_column(Text)

    notice: Mapped[PrivacyNotice] = relationship(back_populates="texts")


class NoticeAcknowledgement(Base):
    """A learner was shown a notice version (at registration, or at log-in after a new one)."""

    __tablename__ = "mooc_notice_acknowledgement"
    __table_args__ = (
        CheckConstraint("context IN ('registration', 'login')", name="context"),
        Index("ix_mooc_notice_acknowledgement_account_notice", "account_id", "notice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("mooc_account.id", ondelete="CASCADE"))
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_privacy_notice.id", ondelete="RESTRICT"), index=True
    )
    language: Mapped[str] = mapped_column(String(35))
    context: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    notice: Mapped[PrivacyNotice] = relationship(lazy="joined")


class PrivacyRequest(Base):
    """A data-subject request the portal handled: an access (download) or an erasure.

    After an erasure ``account_id`` points at the pseudonymous placeholder account, so the log
    shows that and when a request was handled without naming the person.
    """

    __tablename__ = "mooc_privacy_request"
    __table_args__ = (
        CheckConstraint("kind IN ('access', 'erasure')", name="kind"),
        Index("ix_mooc_privacy_request_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_account.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(300), default="")


class Pseudonym(Base):
    """Marks a placeholder account that stands in for an erased learner (or for expired
    records), so that the enrolments it holds keep the figures right. Nothing links it to the
    person it replaced."""

    __tablename__ = "mooc_pseudonym"
    __table_args__ = (CheckConstraint("reason IN ('erasure', 'retention')", name="reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_account.id", ondelete="CASCADE"), unique=True
    )
    reason: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "NoticeAcknowledgement",
    "PrivacyNotice",
    "PrivacyNoticeText",
    "PrivacyRequest",
    "Pseudonym",
]


class DataDownload(Base):
    """A learner's "my data" document built by a background job (large accounts): requested,
    then ready to download while signed in as that learner until ``expires_at``.

    ``data`` is the gzipped JSON document, in the database so that every host serves it.
    """

    __tablename__ = "mooc_data_download"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'ready', 'failed')", name="state"),
        Index("ix_mooc_data_download_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_account.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    downloaded_at: Mapped[datetime | None]
    size: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
