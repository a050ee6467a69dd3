"""The Learning Record Store: partner credentials, statements, documents, and what the
statements did to enrolments.

Statements are immutable: a row is written once and never updated. Whether a statement is
voided is a fact about *another* row (the voiding statement that targets it), so voiding
writes a new row too. The database enforces it (migration 0022x): a trigger refuses an UPDATE
of a statement's content, and a DELETE unless the transaction is an erasure (it holds a row
of ``mooc_xapi_erasure``, see ``xapi.services.erase_learner``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mooc_portal.db import Base, utcnow
from mooc_portal.institutions.models import InstitutionCredentialMixin

IRI_LENGTH = 2048
KEY_LENGTH = 64
"""A SHA-256 in hex: long IRIs and agent identities are indexed by their hash."""


class XapiCredential(InstitutionCredentialMixin, Base):
    """A partner institution's HTTP Basic key and secret for ``/xapi``, one per client.

    Only a SHA-256 of the secret is stored (256 random bits: a fast hash is enough); the
    secret is shown once, when a manager creates it.
    """

    __tablename__ = "mooc_xapi_credential"

    key: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))


class XapiStatement(Base):
    """One stored statement, exactly as it is returned (``document``, JSON text).

    The columns beside it are what the query filters need. ``target_id`` is the statement a
    StatementRef object points to; ``voiding`` marks a voiding statement, whose target is
    then voided.
    """

    __tablename__ = "mooc_xapi_statement"
    __table_args__ = (
        UniqueConstraint("institution_id", "statement_id"),
        Index("ix_mooc_xapi_statement_verb", "institution_id", "verb_hash", "id"),
        Index("ix_mooc_xapi_statement_registration", "institution_id", "registration", "id"),
        Index("ix_mooc_xapi_statement_target", "institution_id", "target_id"),
        Index("ix_mooc_xapi_statement_stored", "institution_id", "stored"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE")
    )
    credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_xapi_credential.id", ondelete="SET NULL"), index=True
    )
    statement_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    stored: Mapped[datetime]
    verb_hash: Mapped[str] = mapped_column(String(KEY_LENGTH))
    registration: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    target_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    voiding: Mapped[bool] = mapped_column(Boolean, default=False)
    document: Mapped[str] = mapped_column(Text)


class LinkKind:
    AGENT = "agent"
    ACTIVITY = "activity"


class XapiStatementLink(Base):
    """An agent or activity a statement is about, for the ``agent`` and ``activity`` filters.

    ``direct`` is the actor or object (or the object activity); the others (authority,
    instructor, team, context activities, sub-statement parts) match only with
    ``related_agents`` / ``related_activities``.
    """

    __tablename__ = "mooc_xapi_statement_link"
    __table_args__ = (
        Index("ix_mooc_xapi_statement_link_key", "key_hash", "statement_pk"),
        CheckConstraint("kind IN ('agent', 'activity')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_pk: Mapped[int] = mapped_column(
        ForeignKey("mooc_xapi_statement.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    key_hash: Mapped[str] = mapped_column(String(KEY_LENGTH))
    direct: Mapped[bool] = mapped_column(Boolean)


class XapiAttachment(Base):
    """An attachment's content, once per institution and SHA-256 (statements name it)."""

    __tablename__ = "mooc_xapi_attachment"
    __table_args__ = (UniqueConstraint("institution_id", "sha2"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE")
    )
    sha2: Mapped[str] = mapped_column(String(128))
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class DocumentKind:
    STATE = "state"
    ACTIVITY_PROFILE = "activity_profile"
    AGENT_PROFILE = "agent_profile"


class XapiDocument(Base):
    """A state, activity profile or agent profile document.

    ``scope_hash`` identifies the set a multiple GET lists (kind, activity, agent,
    registration); ``key_hash`` adds the document's id to it. ``agent_hash`` is the agent's
    identity (as ``statements.agent_hash``) for state and agent profile documents: what
    erasure and the data download find a learner's documents by.
    """

    __tablename__ = "mooc_xapi_document"
    __table_args__ = (
        UniqueConstraint("institution_id", "key_hash"),
        Index("ix_mooc_xapi_document_scope", "institution_id", "scope_hash"),
        CheckConstraint("kind IN ('state', 'activity_profile', 'agent_profile')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    scope_hash: Mapped[str] = mapped_column(String(KEY_LENGTH))
    key_hash: Mapped[str] = mapped_column(String(KEY_LENGTH))
    document_id: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(64))
    updated: Mapped[datetime] = mapped_column(default=utcnow)
    agent_hash: Mapped[str | None] = mapped_column(String(KEY_LENGTH), index=True)
    activity_id: Mapped[str | None] = mapped_column(Text)


class XapiErasure(Base):
    """Present only inside an erasure's transaction: the statement trigger lets a DELETE of
    stored statements through while the transaction holds such a row."""

    __tablename__ = "mooc_xapi_erasure"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class XapiActivity(Base):
    """The latest definition of an activity an institution's statements described."""

    __tablename__ = "mooc_xapi_activity"
    __table_args__ = (UniqueConstraint("institution_id", "activity_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE")
    )
    activity_hash: Mapped[str] = mapped_column(String(KEY_LENGTH))
    activity_id: Mapped[str] = mapped_column(Text)
    definition: Mapped[str] = mapped_column(Text)


class ActivityMapping(Base):
    """An activity IRI of a partner's platform that stands for a run (or a lesson of it).

    A run without a mapping answers to its public URL (``urls.external_url``).
    """

    __tablename__ = "mooc_xapi_activity_mapping"
    __table_args__ = (UniqueConstraint("institution_id", "activity_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE")
    )
    run_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course_run.id", ondelete="CASCADE"), index=True
    )
    lesson_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_lesson.id", ondelete="CASCADE"), index=True
    )
    activity_hash: Mapped[str] = mapped_column(String(KEY_LENGTH))
    activity_id: Mapped[str] = mapped_column(String(IRI_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LearnerLink(Base):
    """A learner's user account on a partner platform (xAPI ``account``: home page and
    name), linked once by the learner from My learning."""

    __tablename__ = "mooc_xapi_learner_link"
    __table_args__ = (UniqueConstraint("agent_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_account.id", ondelete="CASCADE"), index=True
    )
    home_page: Mapped[str] = mapped_column(String(IRI_LENGTH))
    name: Mapped[str] = mapped_column(String(255))
    agent_hash: Mapped[str] = mapped_column(String(KEY_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutcomeStatus:
    APPLIED = "applied"
    UNKNOWN_LEARNER = "unknown_learner"
    NOT_ENROLLED = "not_enrolled"
    UNDONE = "undone"


class StatementOutcome(Base):
    """What a statement about a mapped activity did, or why it is waiting.

    Statements whose learner is unknown (or not enrolled) wait here, listed for the partner,
    and are applied when the learner links the account or enrols. ``effect`` is the verb's
    meaning (completed, progressed, failed); ``percent`` what a ``progressed`` reported.
    """

    __tablename__ = "mooc_xapi_outcome"
    __table_args__ = (
        CheckConstraint(
            "status IN ('applied', 'unknown_learner', 'not_enrolled', 'undone')", name="status"
        ),
        Index("ix_mooc_xapi_outcome_waiting", "institution_id", "status", "agent_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_pk: Mapped[int] = mapped_column(
        ForeignKey("mooc_xapi_statement.id", ondelete="CASCADE"), unique=True
    )
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE")
    )
    run_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_course_run.id", ondelete="CASCADE"), index=True
    )
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("mooc_lesson.id", ondelete="SET NULL"))
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_enrollment.id", ondelete="CASCADE"), index=True
    )
    agent_hash: Mapped[str] = mapped_column(String(KEY_LENGTH))
    agent: Mapped[str] = mapped_column(Text)
    effect: Mapped[str] = mapped_column(String(16))
    percent: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    statement: Mapped[XapiStatement] = relationship(lazy="joined")


__all__ = [
    "ActivityMapping",
    "LearnerLink",
    "StatementOutcome",
    "XapiActivity",
    "XapiAttachment",
    "XapiCredential",
    "XapiDocument",
    "XapiErasure",
    "XapiStatement",
    "XapiStatementLink",
]
