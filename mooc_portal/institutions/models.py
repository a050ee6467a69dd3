"""Partner institutions and their multilingual profile."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from mooc_portal.db import Base, PublicIdMixin, TimestampMixin, utcnow
from mooc_portal.i18n import LocalizedText, localized
from mooc_portal.reference import ASIA_COUNTRIES, EUROPE_COUNTRIES, Region

if TYPE_CHECKING:
    from mooc_portal.catalog.models import Course


class InstitutionCredentialMixin:
    """A secret a partner institution's own system presents (a partner API token, an xAPI key):
    named by a manager, shown once when created, stored only as a hash, revoked, never deleted.

    The class adds what tells its secret apart (the hash, a key or prefix shown again)."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[CheckConstraint, ...]:
        return (CheckConstraint("name <> ''", name="name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("mooc_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class InstitutionKind(StrEnum):
    """What kind of organisation a partner is: the initiative engages business and industry
    and vocational education too, not universities only."""

    UNIVERSITY = "university"
    VOCATIONAL = "vocational"
    COMPANY = "company"
    ASSOCIATION = "association"
    OTHER = "other"


class Institution(PublicIdMixin, TimestampMixin, Base):
    """A partner university or organisation that contributes courses."""

    __tablename__ = "mooc_institution"
    __table_args__ = (
        CheckConstraint(
            f"(region = 'europe' AND country IN ({_in(EUROPE_COUNTRIES)})) OR "
            f"(region = 'asia' AND country IN ({_in(ASIA_COUNTRIES)}))",
            name="asem_country_region",
        ),
        CheckConstraint("slug <> ''", name="slug_not_empty"),
        CheckConstraint(f"kind IN ({_in(tuple(k.value for k in InstitutionKind))})", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    region: Mapped[str] = mapped_column(String(6))
    original_language: Mapped[str] = mapped_column(String(35), default="en")
    website: Mapped[str | None] = mapped_column(String(300))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    logo: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(
        String(20), default=InstitutionKind.UNIVERSITY, server_default="university"
    )
    # The name of the peer portal this institution (and so each of its courses) was harvested
    # from; None for this portal's own partners. Federation writes it; everyone else only
    # reads it (a harvested institution is changed on its own portal only).
    harvested_from: Mapped[str | None] = mapped_column(String(200))

    translations: Mapped[list[InstitutionTranslation]] = relationship(
        back_populates="institution", cascade="all, delete-orphan", lazy="selectin"
    )
    courses: Mapped[list[Course]] = relationship(back_populates="institution", lazy="raise")

    @property
    def region_enum(self) -> Region:
        return Region(self.region)

    def text(self, field: str, language: str) -> LocalizedText:
        return localized(self.translations, field, language, self.original_language)

    def __repr__(self) -> str:
        return f"<Institution {self.slug}>"


class InstitutionTranslation(Base):
    """The institution's name, short name and description in one language."""

    __tablename__ = "mooc_institution_translation"
    __table_args__ = (
        UniqueConstraint("institution_id", "language"),
        CheckConstraint("name <> ''", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("mooc_institution.id", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(String(35))
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)

    institution: Mapped[Institution] = relationship(back_populates="translations")
