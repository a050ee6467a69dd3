"""A search that forgives misspellings: "Did you mean ...?" from the catalog's own words.

Every word of every search document (all stored languages: titles, summaries, descriptions,
institution names) is kept in :class:`~mooc_portal.catalog.models.SearchWord`, added as
:func:`~mooc_portal.catalog.search.index_course` writes a document. A query word that no word
of the catalog starts with is replaced by the closest catalog word:

- the candidates are the words that share trigrams with it: PostgreSQL's ``pg_trgm`` (a GIN
  ``gin_trgm_ops`` index on the words, ``%`` with a low similarity threshold), SQLite a table
  of each word's trigrams (``mooc_search_trigram``), both counting trigrams alike (the word
  padded with two spaces before and one after);
- they are ranked by an edit distance in which swapping two neighbouring letters (the
  commonest typing slip) costs half an edit, and in which the query word may be the start of
  the catalog word (a search matches words by their beginning); a word made of the same letters
  in another order counts half ("phyton" is "python" rather than "photon"), and at the same
  distance the word that keeps the typed letters wins.

It runs only when a search found nothing, so an ordinary search costs what it did. A suggestion
is offered only when the corrected query finds courses with the same filters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, column, delete, func, literal_column, select, table, true
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mooc_portal.catalog.models import CourseSearchDocument, SearchWord

# SQLite only (made by the migration, not mapped): each word's trigrams, ``(trigram, word)``.
SearchWordTrigram = table("mooc_search_trigram", column("trigram"), column("word"))

WORD = re.compile(r"[^\W\d_]+")  # letters only: course codes and numbers are not misspelt
MIN_LENGTH = 3
MAX_LENGTH = 40
CANDIDATES = 200
# pg_trgm's similarity threshold for candidates: "phyton" and "python" share only 2 of 12
# trigrams (0.17); the ranking below, not the threshold, decides.
SIMILARITY = 0.15
BATCH = 1000


def document_words(text_: str) -> set[str]:
    """The words of a document worth suggesting (lower case, letters only, 3 to 40 long)."""
    return {
        word
        for word in (w.lower() for w in WORD.findall(text_ or ""))
        if MIN_LENGTH <= len(word) <= MAX_LENGTH
    }


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before and one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _insert(connection: Connection) -> Any:
    return postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert


def add_words(connection: Connection, words: Iterable[str]) -> None:
    """Add ``words`` to the spelling index (those it already holds are left alone)."""
    wanted = sorted(set(words))
    if not wanted:
        return
    insert = _insert(connection)
    if connection.dialect.name == "postgresql":
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            connection.execute(
                insert(SearchWord).on_conflict_do_nothing(), [{"word": w} for w in chunk]
            )
        return
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        known = set(connection.scalars(select(SearchWord.word).where(SearchWord.word.in_(chunk))))
        new = [w for w in chunk if w not in known]
        if not new:
            continue
        connection.execute(insert(SearchWord), [{"word": w} for w in new])
        rows = [{"trigram": t, "word": w} for w in new for t in trigrams(w)]
        connection.execute(insert(SearchWordTrigram), rows)


def rebuild_words(connection: Connection) -> int:
    """The spelling index from every stored search document (after a bulk load, on
    ``flask portal reindex``): words no document holds any more are dropped."""
    words: set[str] = set()
    for (document,) in connection.execute(
        select(CourseSearchDocument.document).execution_options(yield_per=2000)
    ):
        words |= document_words(document)
    if connection.dialect.name != "postgresql":
        connection.execute(delete(SearchWordTrigram))
    connection.execute(delete(SearchWord))
    add_words(connection, words)
    return len(words)


def is_known(connection: Connection, word: str) -> bool:
    """Whether a catalog word starts with ``word`` (a search matches words by their start)."""
    return (
        connection.scalar(
            select(SearchWord.word)
            .where(SearchWord.word >= word, SearchWord.word < word + "\U0010ffff")
            .limit(1)
        )
        is not None
    )


def _candidates(connection: Connection, word: str) -> list[str]:
    if connection.dialect.name == "postgresql":
        connection.execute(
            select(func.set_config("pg_trgm.similarity_threshold", str(SIMILARITY), true()))
        )
        similarity = func.similarity(SearchWord.word, word)
        return list(
            connection.scalars(
                select(SearchWord.word)
                .where(SearchWord.word.op("%")(word))
                .order_by(similarity.desc(), SearchWord.word)
                .limit(CANDIDATES)
            )
        )
    grams = trigrams(word)
    shared = func.count().label("shared")
    rows = connection.execute(
        select(SearchWordTrigram.c.word, shared)
        .where(SearchWordTrigram.c.trigram.in_(sorted(grams)))
        .group_by(SearchWordTrigram.c.word)
        .order_by(literal_column("shared").desc(), SearchWordTrigram.c.word)
        .limit(CANDIDATES * 5)
    ).all()
    scored = [
        (n / (len(grams) + len(trigrams(w)) - n), w)
        for w, n in rows
        if n / (len(grams) + len(trigrams(w)) - n) >= SIMILARITY
    ]
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [w for _, w in scored[:CANDIDATES]]


def edit_distance(a: str, b: str) -> float:
    """Levenshtein distance in which swapping two neighbouring letters costs 0.5."""
    previous2: list[float] = []
    previous = [float(j) for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        current = [float(i)] + [0.0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0.0 if a[i - 1] == b[j - 1] else 1.0
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 0.5)
        previous2, previous = previous, current
    return previous[-1]


def _distance(word: str, candidate: str) -> float:
    """How far ``word`` is from ``candidate`` or from a start of it as long as ``word``."""
    whole = edit_distance(word, candidate)
    starts = [
        edit_distance(word, candidate[:n])
        for n in range(max(1, len(word) - 1), len(word) + 2)
        if n < len(candidate)
    ]
    return min([whole, *starts])


def allowed_distance(word: str) -> float:
    return 1.0 if len(word) <= 4 else 2.0 if len(word) <= 8 else 3.0


def closest_words(connection: Connection, word: str, limit: int = 3) -> list[str]:
    """The catalog words nearest ``word``, best first (none further than a few edits)."""
    ranked = []
    for candidate in _candidates(connection, word):
        distance = _distance(word, candidate)
        if distance <= allowed_distance(word):  # then ranked:
            # At the same distance, a word with the same letters wins (the letters were typed,
            # in another order: "phyton" is "python", not "photon").
            letters = Counter(word)
            letters.subtract(candidate[: len(word)] if len(candidate) > len(word) else candidate)
            changed = sum(abs(n) for n in letters.values())
            if not changed:  # the same letters in another order: a slip of typing order
                distance /= 2
            ranked.append((distance, changed, abs(len(candidate) - len(word)), candidate))
    ranked.sort()
    return [candidate for *_, candidate in ranked[:limit]]


def corrections(connection: Connection, query: str) -> list[str]:
    """Corrected forms of ``query`` (best first): each unknown word replaced by its first,
    second, then third closest catalog word; empty when every word is known or has no near
    catalog word."""
    words = list(dict.fromkeys(m.group(0).lower() for m in WORD.finditer(query or "")))
    replacements: dict[str, list[str]] = {}
    for word in words[:12]:
        if len(word) < MIN_LENGTH or len(word) > MAX_LENGTH or is_known(connection, word):
            continue
        nearest = closest_words(connection, word)
        if nearest:
            replacements[word] = nearest
    if not replacements:
        return []
    out = []
    for choice in range(max(len(v) for v in replacements.values())):

        def swap(match: re.Match[str], choice: int = choice) -> str:
            options = replacements.get(match.group(0).lower())
            return options[min(choice, len(options) - 1)] if options else match.group(0)

        corrected = WORD.sub(swap, query)
        if corrected not in out:
            out.append(corrected)
    return out
