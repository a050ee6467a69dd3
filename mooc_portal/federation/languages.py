"""ISO 639-2 codes (terminology, three letters) for the BCP 47 tags the portal stores.

OOAPI's ``teachingLanguage`` is ISO 639-2. Babel has no such table, so here is one for the
languages of the ASEM partner countries and the other major languages of higher education;
anything else is ``und`` (ISO 639-2 "undetermined").
"""

from __future__ import annotations

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

UNDETERMINED = "und"


def iso_639_2(tag: str) -> str:
    """``ko`` -> ``kor``, ``zh-CN`` -> ``zho``; ``und`` for a language not in the table."""
    return ISO_639_2.get(tag.split("-", 1)[0].lower(), UNDETERMINED)


def bcp47_primary(code: str) -> str | None:
    """``kor`` -> ``ko``: the primary language subtag for an ISO 639-2 code, if known."""
    for primary, three in ISO_639_2.items():
        if three == code:
            return primary
    return None
