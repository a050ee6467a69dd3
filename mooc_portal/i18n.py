"""Multilingual text: stored per language, shown in the visitor's language or the original."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from babel import Locale, UnknownLocaleError


class Translation(Protocol):
    language: str


@dataclass(frozen=True)
class LocalizedText:
    """A piece of text with the language it is written in.

    Templates mark text whose ``language`` differs from the page's with a ``lang`` attribute.
    """

    text: str
    language: str

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)


T = TypeVar("T", bound=Translation)


def primary_subtag(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def pick_translation(translations: Iterable[T], wanted: str, original: str) -> T | None:
    """The translation in ``wanted`` (exact tag, then same primary language), else the original."""
    by_tag = {t.language: t for t in translations}
    if wanted in by_tag:
        return by_tag[wanted]
    wanted_primary = primary_subtag(wanted)
    for tag, translation in by_tag.items():
        if primary_subtag(tag) == wanted_primary:
            return translation
    if original in by_tag:
        return by_tag[original]
    return next(iter(by_tag.values()), None)


def localized(translations: Iterable[T], field: str, wanted: str, original: str) -> LocalizedText:
    """``field`` of the best translation, falling back to the original language when empty."""
    translations = list(translations)
    best = pick_translation(translations, wanted, original)
    if best is not None and getattr(best, field):
        return LocalizedText(getattr(best, field), best.language)
    fallback = pick_translation(translations, original, original)
    if fallback is not None and getattr(fallback, field):
        return LocalizedText(getattr(fallback, field), fallback.language)
    return LocalizedText("", wanted)


def parse_language_tag(tag: str) -> str:
    """Normalise a BCP 47 language tag (``zh-cn`` -> ``zh-CN``); ValueError when not one."""
    tag = (tag or "").strip().replace("_", "-")
    if not tag or len(tag) > 35:
        raise ValueError(f"{tag!r} is not a language tag")
    try:
        locale = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"{tag!r} is not a known language tag") from exc
    parts = [locale.language]
    if locale.script:
        parts.append(locale.script)
    if locale.territory:
        parts.append(locale.territory)
    return "-".join(parts)


def language_name(tag: str, in_locale: str) -> str:
    """The name of a language in the visitor's locale, e.g. ``ko`` -> ``Korean`` / ``한국어``."""
    try:
        name = Locale.parse(tag, sep="-").get_display_name(in_locale)
    except (UnknownLocaleError, ValueError):
        return tag
    return name[:1].upper() + name[1:] if name else tag


def country_name(code: str, in_locale: str) -> str:
    try:
        return Locale.parse(in_locale, sep="-").territories.get(code, code)
    except (UnknownLocaleError, ValueError):
        return code
