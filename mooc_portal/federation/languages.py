"""ISO 639-2 codes (terminology, three letters) for the BCP 47 tags the portal stores.

OOAPI's ``teachingLanguage`` is ISO 639-2. Babel has no such table, so here is one for the
languages of the ASEM partner countries and the other major languages of higher education;
anything else is ``und`` (ISO 639-2 "undetermined").
"""

from __future__ import annotations

import re

ISO_639_2 = {
    "ar": "ara", "bg": "bul", "bn": "ben", "cs": "ces", "da": "dan", "de": "deu", "el": "ell",
    "en": "eng", "es": "spa", "et": "est", "fi": "fin", "fil": "fil", "fr": "fra", "ga": "gle",
    "he": "heb", "hi": "hin", "hr": "hrv", "hu": "hun", "id": "ind", "is": "isl", "it": "ita",
    "ja": "jpn", "kk": "kaz", "km": "khm", "ko": "kor", "lb": "ltz", "lo": "lao", "lt": "lit",
    "lv": "lav", "mn": "mon", "ms": "msa", "mt": "mlt", "my": "mya", "nb": "nob", "nl": "nld",
    "nn": "nno", "no": "nor", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus", "sk": "slk",
    "sl": "slv", "sv": "swe", "ta": "tam", "th": "tha", "tl": "tgl", "tr": "tur", "uk": "ukr",
    "ur": "urd", "vi": "vie", "zh": "zho",
}  # fmt: skip

# ISO 639-2 has two forms for twenty languages: the bibliographic (B) one consumers still send
# (``ger``) and the terminology (T) one the portal answers with (``deu``).
BIBLIOGRAPHIC = {
    "alb": "sqi", "arm": "hye", "baq": "eus", "bur": "mya", "chi": "zho", "cze": "ces",
    "dut": "nld", "fre": "fra", "geo": "kat", "ger": "deu", "gre": "ell", "ice": "isl",
    "mac": "mkd", "mao": "mri", "may": "msa", "per": "fas", "rum": "ron", "slo": "slk",
    "tib": "bod", "wel": "cym",
}  # fmt: skip

UNDETERMINED = "und"
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def iso_639_2(tag: str) -> str:
    """``ko`` -> ``kor``, ``zh-CN`` -> ``zho``; ``und`` for a language not in the table."""
    return ISO_639_2.get(tag.split("-", 1)[0].lower(), UNDETERMINED)


def bcp47_primary(code: str) -> str | None:
    """``kor`` -> ``ko``: the primary language subtag for an ISO 639-2 code, if known."""
    for primary, three in ISO_639_2.items():
        if three == code:
            return primary
    return None


def requested_language(code: str) -> str | None:
    """The BCP 47 tag (or primary subtag) a language filter asks for, whatever form it is in:
    ISO 639-2 T (``deu``) or B (``ger``) -> ``de``; BCP 47 (``de``, ``zh-CN``) as given, in
    its canonical case. ``None`` when ``code`` is neither form."""
    if not _BCP47.match(code):
        return None
    lowered = code.lower()
    if len(lowered) == 3:
        return bcp47_primary(BIBLIOGRAPHIC.get(lowered, lowered)) or lowered
    primary, *rest = code.split("-")
    # Region subtags upper case (zh-CN), scripts title case (zh-Hant), the rest lower case.
    return "-".join(
        [primary.lower()]
        + [
            part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part.lower()
            for part in rest
        ]
    )
