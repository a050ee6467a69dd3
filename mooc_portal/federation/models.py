"""The change feed, peer portals, harvest runs and the origin of federated records."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mooc_portal.db import Base, utcnow
from mooc_portal.institutions.models import InstitutionCredentialMixin


class ResourceType(StrEnum):
    INSTITUTION = "institution"
    COURSE = "course"
    RUN = "run"


class ChangeKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    WITHDRAWN = "withdrawn"
    DELETED = "deleted"

    @property
    def is_tombstone(self) -> bool:
        return self in (ChangeKind.WITHDRAWN, ChangeKind.DELETED)


class HarvestStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def _values(enum: type[StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum)


class ChangeEntry(Base):
    """One create, update or withdrawal of a public resource, in the order the database kept.

    ``sequence`` is an autoincrement primary key: the database, not the clock, orders changes
    (timestamps tie). Tombstones (withdrawn, deleted) keep the id and the former type.
    """

    __tablename__ = "mooc_change_entry"
    __table_args__ = (
        CheckConstraint(f"resource_type IN ({_values(ResourceType)})", name="resource_type"),
        CheckConstraint(f"kind IN ({_values(ChangeKind)})", name="kind"),
        Index("ix_mooc_change_entry_resource", "resource_type", "resource_uuid"),
        # SQLite must never reuse a sequence number, even after pruning every row.
        {"sqlite_autoincrement": True},
    )

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_type: Mapped[str] = mapped_column(String(12))
    resource_uuid: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(10))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    @property
    def is_tombstone(self) -> bool:
        return ChangeKind(self.kind).is_tombstone


class ChangeFeedHorizon(Base):
    """The highest sequence pruned from the feed: older cursors must resynchronise (410)."""

    __tablename__ = "mooc_change_feed_horizon"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    pruned_through: Mapped[int] = mapped_column(Integer, default=0)


class Peer(Base):
    """Another portal whose catalog this one harvests through its change feed."""

    __tablename__ = "mooc_peer"
    __table_args__ = (
        CheckConstraint("name <> ''", name="name_not_empty"),
        CheckConstraint(
            "base_url LIKE 'http://%' OR base_url LIKE 'https://%'", name="base_url_http"
        ),
        CheckConstraint(
            "harvest_interval >= 1 AND harvest_interval <= 10080", name="harvest_interval"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    base_url: Mapped[str] = mapped_column(String(300))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The peer's opaque change-feed cursor, stored only once the batch before it is committed.
    cursor: Mapped[str | None] = mapped_column(String(200))
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Harvested every this many minutes by the worker; the next scheduled harvest.
    harvest_interval: Mapped[int] = mapped_column(Integer, default=60)
    next_harvest_at: Mapped[datetime | None]

    runs: Mapped[list[HarvestRun]] = relationship(
        back_populates="peer",
        cascade="all, delete-orphan",
        order_by="HarvestRun.id.desc()",
        lazy="raise",
    )

    if TYPE_CHECKING:  # not columns: set by services.peers.list_peers for the admin page
        latest_run: HarvestRun | None
        latest_rejections: list[RejectedRecord]

    def __repr__(self) -> str:
        return f"<Peer {self.name}>"


class HarvestRun(Base):
    """One harvest of one peer: what it changed and what it rejected."""

    __tablename__ = "mooc_harvest_run"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(HarvestStatus)})", name="status"),
        CheckConstraint(
            "created >= 0 AND updated >= 0 AND withdrawn >= 0 AND rejected >= 0",
            name="counts_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("mooc_peer.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10), default=HarvestStatus.RUNNING)
    snapshot: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)

    peer: Mapped[Peer] = relationship(back_populates="runs")
    rejections: Mapped[list[RejectedRecord]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="RejectedRecord.id"
    )


class RejectedRecord(Base):
    """A record a peer sent that was not stored, with the reason."""

    __tablename__ = "mooc_rejected_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_harvest_run.id", ondelete="CASCADE"), index=True
    )
    resource_type: Mapped[str] = mapped_column(String(20))
    resource_id: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)


class FederatedOrigin(Base):
    """Marks an institution or course as harvested from a peer: never editable here.

    Federated records are ordinary ``Institution`` / ``Course`` / ``CourseRun`` rows (so the
    catalog and its search show them) keeping the peer's public UUIDs; this row says where they
    come from and links to the original page for enrolment. Their runs follow their course.
    """

    __tablename__ = "mooc_federated_origin"
    __table_args__ = (
        CheckConstraint(
            "(resource_type = 'institution' AND institution_id IS NOT NULL "
            "AND course_id IS NULL) OR "
            "(resource_type = 'course' AND course_id IS NOT NULL AND institution_id IS NULL)",
            name="one_resource",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    peer_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_peer.id", ondelete="RESTRICT"), index=True
    )
    resource_type: Mapped[str] = mapped_column(String(12))
    resource_uuid: Mapped[uuid.UUID] = mapped_column(unique=True)
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE"), unique=True
    )
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_course.id", ondelete="CASCADE"), unique=True
    )
    origin_url: Mapped[str | None] = mapped_column(String(500))
    harvested_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    peer: Mapped[Peer] = relationship(lazy="joined")


class ApiToken(InstitutionCredentialMixin, Base):
    """A partner institution's key to write its own courses and runs through ``/api/v1``.

    Only a SHA-256 hash is stored (the token is 256 random bits, so a fast hash is enough); the
    plain token is shown once, when a manager creates it.
    """

    __tablename__ = "mooc_api_token"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))


class ExportSnapshot(Base):
    """The export (``/api/v1/export``) built by a background job, so that every host serves it
    without building it inside a request: the document gzipped and in brotli, the change
    feed's ``sequence`` it was built at, and a hash of it for the ``ETag``. Only the newest is
    kept."""

    __tablename__ = "mooc_export_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    courses: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    etag: Mapped[str] = mapped_column(String(64))
    gzip_data: Mapped[bytes] = mapped_column(LargeBinary)
    brotli_data: Mapped[bytes] = mapped_column(LargeBinary)
