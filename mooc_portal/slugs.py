"""Slugs: the readable, URL-safe names of institutions and courses, made one way everywhere."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import select

from mooc_portal.db import session


def slugify(text: str, limit: int = 100) -> str:
    """``"Données & Société"`` → ``"donnees-societe"``: ASCII letters, digits and hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit]


def unique_slug(model: Any, base: str, *, limit: int, fallback: str) -> str:
    """``base`` (cut to ``limit``), or ``base-2``, ``base-3``... where ``model`` has it taken."""
    base = base[:limit].strip("-") or fallback
    slug, n = base, 1
    while session.scalar(select(model.id).where(model.slug == slug)) is not None:
        n += 1
        slug = f"{base[: limit - len(str(n)) - 1]}-{n}"
    return slug
