"""Multilingual text: stored per language, shown in the visitor's language, else English, else the
original."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, TypeVar

from babel import Locale, UnknownLocaleError


class Translation(Protocol):
    @property
    def language(self) -> str: ...


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


class Localized(Protocol):
    """A model whose texts have translations (a course, an institution, a module...)."""

    def text(self, field: str, language: str) -> LocalizedText: ...


T = TypeVar("T", bound=Translation)


def primary_subtag(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


FALLBACK_LANGUAGE = "en"


def localized(translations: Iterable[T], field: str, wanted: str, original: str) -> LocalizedText:
    """``field`` in the visitor's language, else English, else the original, else any language.

    Decided per field: a translation that has a title but no description gives its title, and
    the description comes from the next language that has one. The text carries its language,
    so templates mark a fallback with ``lang``.
    """
    translations = list(translations)
    for language in (wanted, FALLBACK_LANGUAGE, original):
        best = translation_in(translations, language)
        if best is not None and getattr(best, field):
            return LocalizedText(getattr(best, field), best.language)
    for translation in translations:
        if getattr(translation, field):
            return LocalizedText(getattr(translation, field), translation.language)
    return LocalizedText("", wanted)


def translation_in(translations: list[T], language: str) -> T | None:
    """The translation in ``language``: the exact tag, else the same primary language."""
    primary = primary_subtag(language)
    exact = next((t for t in translations if t.language == language), None)
    return exact or next((t for t in translations if primary_subtag(t.language) == primary), None)


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


@lru_cache(maxsize=4096)
def language_name(tag: str, in_locale: str) -> str:
    """The name of a language in the visitor's locale, e.g. ``ko`` -> ``Korean`` / ``한국어``."""
    try:
        name = Locale.parse(tag, sep="-").get_display_name(in_locale)
    except (UnknownLocaleError, ValueError):
        return tag
    return name[:1].upper() + name[1:] if name else tag


# Interface languages whose own name needs a script to be exact: the portal's Chinese is
# simplified Chinese, named "中文 (简体)" rather than "中文".
_OWN_NAME_LOCALES = {"zh": "zh_Hans"}
# CLDR names Indonesian "Indonesia", the country; its speakers call the language this.
_OWN_NAMES = {"id": "Bahasa Indonesia"}


def own_language_name(tag: str) -> str:
    """A language named in itself (``ko`` -> ``한국어``, ``de`` -> ``Deutsch``), as a language
    switcher shows it, so a visitor finds theirs whatever the page's language."""
    if tag in _OWN_NAMES:
        return _OWN_NAMES[tag]
    locale = _OWN_NAME_LOCALES.get(tag, tag)
    return language_name(locale.replace("_", "-"), locale)


@lru_cache(maxsize=4096)  # CLDR's names: the same for every app and request
def country_name(code: str, in_locale: str) -> str:
    try:
        return str(Locale.parse(in_locale, sep="-").territories.get(code, code))
    except (UnknownLocaleError, ValueError):
        return code


def country_choices(codes: Iterable[str], language: str) -> list[tuple[str, str]]:
    """``(code, name)`` for each country, named in ``language`` and sorted by that name
    (accents and case folded, so "Österreich" sorts with the O's)."""
    names = {code: country_name(code, language) for code in codes}

    def sort_key(code: str) -> str:
        return unicodedata.normalize("NFKD", names[code]).casefold()

    return [(code, names[code]) for code in sorted(names, key=sort_key)]
