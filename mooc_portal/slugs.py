"""Slugs: the readable, URL-safe names of institutions and courses, made one way everywhere."""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import select

from mooc_portal.db import session


def slugify(text: str, limit: int = 100) -> str:
    """A readable web-address name in any script, lower case, words joined by hyphens.

    ``"Données & Société"`` → ``"donnees-societe"`` and ``"Lịch sử Việt Nam"`` →
    ``"lich-su-viet-nam"``: accents are dropped from Latin letters, whose readers expect plain
    ASCII addresses. Other scripts stay as they are (``"한국사 입문"`` → ``"한국사-입문"``,
    ``"データ科学"`` → ``"データ科学"``): browsers show them readably, and URLs carry them
    percent-encoded. Only letters and digits remain.
    """
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char) and kept and _is_latin(kept[-1]):
            continue  # the accent of a Latin letter
        kept.append(char)
    text = unicodedata.normalize("NFC", "".join(kept)).lower()
    # Letters, digits and the marks that are part of a letter (Thai vowels, Devanagari signs).
    words = "".join(c if unicodedata.category(c)[0] in "LNM" else " " for c in text).split()
    return "-".join(words)[:limit].strip("-")


def _is_latin(char: str) -> bool:
    return char.isascii() or "LATIN" in unicodedata.name(char, "")


def unique_slug(model: Any, base: str, *, limit: int, fallback: str) -> str:
    """``base`` (cut to ``limit``), or ``base-2``, ``base-3``... where ``model`` has it taken."""
    base = base[:limit].strip("-") or fallback
    slug, n = base, 1
    while session.scalar(select(model.id).where(model.slug == slug)) is not None:
        n += 1
        slug = f"{base[: limit - len(str(n)) - 1]}-{n}"
    return slug
