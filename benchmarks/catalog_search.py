"""Catalog search latency on 10,000 and 100,000 courses: a text query with two facets, and
browsing with the same two facets and no text.

    python -m benchmarks.catalog_search [--backend sqlite|postgresql|both]
                                       [--courses 10000 100000] [--runs 100] [--plans]
                                       [--keep]

Targets (issue 16, on the project's 2-core machine, at 100,000 courses): the text search
``data`` + region Asia + level introductory, median under 30 ms and 95th percentile under
80 ms, and at most twice its 10,000-course median; browsing with the two facets, median under
60 ms; on SQLite and on PostgreSQL. (Issue 2's 25/60 ms at 10,000 courses still holds.) The
text search's page through the test client (search + template) is reported for information.
``--plans`` prints each search's plan (``EXPLAIN QUERY PLAN`` / ``EXPLAIN (ANALYZE, BUFFERS)``).
Nothing runs ``ANALYZE``: the plans must not depend on statistics.

The data goes into a scratch database: a SQLite file in a temporary directory, or a PostgreSQL
database created on ``--postgres-url`` (default 127.0.0.1:5432, user postgres) and dropped after.
With ``--keep`` each catalog is kept (a file under the temporary directory, a database
``mooc_bench_keep_<courses>``) and the next ``--keep`` run reuses it: on the shared machine a
100,000-course build takes 10 to 15 minutes, so the searches can be timed again when the load
is low without building again. A kept database is brought to the current migrations first.
Rows are written with bulk inserts; the search index is filled by the same ``search_document``
text the portal writes (SQLite's FTS5 table is kept in step by its triggers).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, func, insert, select, text
from sqlalchemy.engine import make_url

from mooc_portal import create_app
from mooc_portal.catalog.entries import rebuild_entries
from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
    CourseRun,
    CourseSearchDocument,
    CourseSubject,
    CourseTranslation,
)
from mooc_portal.catalog.search import CatalogFilters, search_courses
from mooc_portal.catalog.spelling import rebuild_words
from mooc_portal.db import utcnow
from mooc_portal.institutions.models import Institution, InstitutionTranslation
from mooc_portal.migrate import upgrade_database
from mooc_portal.reference import ASEM_COUNTRIES, ISCED_F, region_of
from tests.scratch_database import POSTGRES_URL
from tests.scratch_database import scratch_database as scratch_postgres

# Issue 16, at 100,000 courses: (median, p95) in ms; the text search may grow at most 2x from
# 10,000 to 100,000 courses (the same share of the catalog matches).
TARGETS = {"text": (30.0, 80.0), "browse": (60.0, None)}
MAX_GROWTH = 2.0

WORDS = [
    "data",
    "science",
    "climate",
    "change",
    "digital",
    "health",
    "urban",
    "planning",
    "machine",
    "learning",
    "ethics",
    "history",
    "culture",
    "language",
    "economics",
    "finance",
    "law",
    "energy",
    "water",
    "food",
    "security",
    "marine",
    "biology",
    "robotics",
    "design",
    "music",
    "art",
    "philosophy",
    "politics",
    "public",
    "policy",
    "sustainable",
    "development",
    "statistics",
    "programming",
    "networks",
    "cities",
    "tourism",
    "education",
    "teaching",
    "global",
    "governance",
    "migration",
    "media",
    "journalism",
    "chemistry",
    "physics",
    "astronomy",
    "agriculture",
    "forestry",
    "medicine",
    "nursing",
    "psychology",
    "sociology",
    "management",
    "marketing",
    "entrepreneurship",
    "innovation",
]
# Everyday words of course texts: topic words are a small share of them, as in a real catalog.
FILLER = [
    a + b + c
    for a in ("ba", "ke", "lo", "mi", "nu", "ra", "se", "ti", "vo", "za")
    for b in ("ran", "len", "mor", "tis", "val")
    for c in ("a", "e", "o", "um", "ix", "an", "er", "is", "ot", "ul")
]
KO_WORDS = [
    "데이터",
    "과학",
    "기후",
    "변화",
    "디지털",
    "건강",
    "도시",
    "계획",
    "기계",
    "학습",
    "윤리",
    "역사",
    "문화",
    "언어",
    "경제",
]
LANGUAGES = ("en", "ko", "zh", "ja", "fr", "de", "es", "th", "vi", "id")
SUBJECTS = [code for code in ISCED_F if len(code) == 4]
QUERY = "data"
FACETS = {"region": ("asia",), "level": ("introductory",)}


def build_catalog(session: Any, courses: int, seed: int = 2026) -> None:
    """``courses`` public courses from 60 institutions, each with 0-3 runs, by bulk inserts."""
    rng = random.Random(seed)
    now = utcnow()
    institutions, institution_texts = [], []
    for n in range(1, 61):
        country = ASEM_COUNTRIES[n % len(ASEM_COUNTRIES)]
        institutions.append(
            {
                "id": n,
                "uuid": uuid.uuid4(),
                "slug": f"institution-{n}",
                "country": country,
                "region": region_of(country).value,
                "original_language": "en",
                "active": n % 20 != 0,
                "created_at": now,
                "modified_at": now,
            }
        )
        institution_texts.append(
            {
                "institution_id": n,
                "language": "en",
                "name": f"{rng.choice(WORDS).title()} University {n}",
            }
        )
    session.execute(insert(Institution), institutions)
    session.execute(insert(InstitutionTranslation), institution_texts)
    names = {row["institution_id"]: row["name"] for row in institution_texts}

    course_rows, texts, languages, subjects, runs, documents = [], [], [], [], [], []
    for n in range(1, courses + 1):
        institution = rng.randint(1, 60)
        title = " ".join(rng.sample(WORDS, 3)).title()
        summary = " ".join(rng.sample(WORDS, 2) + rng.sample(FILLER, 10))
        description = " ".join(rng.sample(WORDS, 4) + rng.sample(FILLER, 36))
        course_rows.append(
            {
                "id": n,
                "uuid": uuid.uuid4(),
                "institution_id": institution,
                "code": f"C{n:05d}",
                "slug": f"course-{n}",
                "original_language": "en",
                "level": rng.choice(("introductory", "intermediate", "advanced")),
                "pace": rng.choice(("self_paced", "instructor_led")),
                "credential": "none",
                "status": "published" if n % 10 else "draft",
                "published_at": now - timedelta(days=rng.randint(0, 900)),
                "created_at": now,
                "modified_at": now,
            }
        )
        texts.append(
            {
                "course_id": n,
                "language": "en",
                "title": title,
                "summary": summary,
                "description": description,
            }
        )
        document = [f"C{n:05d}", title, summary, description, names[institution]]
        if n % 3 == 0:
            ko_title = " ".join(rng.sample(KO_WORDS, 3))
            texts.append({"course_id": n, "language": "ko", "title": ko_title, "summary": None})
            document.append(ko_title)
        documents.append({"course_id": n, "document": "\n".join(document)})
        for position, tag in enumerate(rng.sample(LANGUAGES, rng.choice((1, 1, 2)))):
            languages.append(
                {"course_id": n, "kind": "teaching", "language": tag, "position": position}
            )
        for code in rng.sample(SUBJECTS, rng.choice((1, 2))):
            subjects.append({"course_id": n, "code": code})
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            start = now + timedelta(days=rng.randint(-400, 200))
            runs.append(
                {
                    "uuid": uuid.uuid4(),
                    "course_id": n,
                    "start_at": start,
                    "end_at": start + timedelta(weeks=rng.randint(4, 12)),
                    "enrollment_start_at": start - timedelta(days=30),
                    "enrollment_end_at": start + timedelta(days=7),
                    "requires_approval": False,
                    "delivery_mode": "online",
                    "cancelled": rng.random() < 0.05,
                    "created_at": now,
                    "modified_at": now,
                }
            )
    for table, rows in (
        (Course, course_rows),
        (CourseTranslation, texts),
        (CourseLanguage, languages),
        (CourseSubject, subjects),
        (CourseRun, runs),
    ):
        for start in range(0, len(rows), 5000):
            session.execute(insert(table), rows[start : start + 5000])
    insert_documents(session, documents)
    session.commit()
    # As ``flask portal reindex`` does after a bulk load: the catalog entries and facet counts
    # (the ORM keeps them in step on every flush; bulk inserts bypass it). No ANALYZE: the
    # plans must not depend on statistics (on PostgreSQL autovacuum may analyse meanwhile).
    rebuild_entries(session.connection())
    rebuild_words(session.connection())  # the spelling index ("did you mean")
    session.commit()


def insert_documents(session: Any, documents: list[dict[str, Any]]) -> None:
    """The search documents. On SQLite in one ``INSERT ... SELECT`` from a temporary table:
    each statement ends with a savepoint release that makes FTS5 (filled by the table's
    triggers) write its pending index to disk, so inserting row by row wrote and merged one
    tiny segment per course (more than 45 minutes for 100,000 courses, against about one)."""
    if session.get_bind().dialect.name != "sqlite":
        for start in range(0, len(documents), 5000):
            session.execute(insert(CourseSearchDocument), documents[start : start + 5000])
        return
    session.execute(text("CREATE TEMP TABLE bench_documents (course_id INTEGER, document TEXT)"))
    session.execute(text("INSERT INTO bench_documents VALUES (:course_id, :document)"), documents)
    session.execute(
        text(
            "INSERT INTO mooc_course_search (course_id, document) "
            "SELECT course_id, document FROM bench_documents ORDER BY course_id"
        )
    )
    session.execute(text("DROP TABLE bench_documents"))


# Where ``--keep`` leaves its catalogs (SQLite files; PostgreSQL databases are named alike).
KEEP_DIR = Path(tempfile.gettempdir()) / "mooc_catalog_bench"


@contextmanager
def scratch_database(
    backend: str, postgres_url: str, courses: int = 0, *, keep: bool = False
) -> Iterator[str]:
    """A database for the benchmark: dropped afterwards, or with ``keep`` one named after the
    catalog's size, kept for the next run (``KEEP_DIR``, or ``mooc_bench_keep_<courses>``)."""
    if backend == "sqlite":
        if keep:
            KEEP_DIR.mkdir(exist_ok=True)
            yield f"sqlite:///{KEEP_DIR / f'{courses}.sqlite3'}"
            return
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    if not keep:
        with scratch_postgres("mooc_bench", postgres_url) as url:
            yield url
        return
    name = f"mooc_bench_keep_{courses}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        admin.dispose()


@dataclass
class Timing:
    """Wall-clock median and p95, and CPU time per call (this process + database backends).

    The CPU figure is what a search costs when it does not wait for a CPU: on a shared machine
    the wall clock also counts time spent queued behind other processes.
    """

    median: float
    p95: float
    cpu_mean: float


def backend_cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time of PostgreSQL backend processes on this machine (from /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def timed(fn: Callable[[], Any], runs: int, pids: Callable[[], Sequence[int]]) -> Timing:
    """Times ``fn`` ``runs`` times in milliseconds, after a few warm-up calls."""
    for _ in range(5):
        fn()
    backends = pids()
    cpu_start = time.process_time() + backend_cpu_seconds(backends)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    cpu = time.process_time() + backend_cpu_seconds(backends) - cpu_start
    samples.sort()
    return Timing(
        statistics.median(samples), samples[int(len(samples) * 0.95) - 1], cpu * 1000 / runs
    )


def backend_pids(session: Any) -> list[int]:
    if session.get_bind().dialect.name != "postgresql":
        return []
    pids = session.scalars(
        text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
    ).all()
    session.rollback()
    return list(pids)


# The search's own statements (not the loads of the listed courses and of the labels): the
# in-memory search's matches and versions, its ranking, or the SQL search's one statement.
SEARCH_STATEMENTS = ("mooc_catalog_version", "bm25(", "ts_rank(", "UNION ALL")


def explain(session: Any, filters: CatalogFilters) -> list[str]:
    """The plans of the search's statements: ``EXPLAIN QUERY PLAN`` on SQLite,
    ``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL (in the search's own transaction)."""
    captured: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def grab(_conn: Any, _cursor: Any, statement: str, params: Any, *_args: Any) -> None:
        if any(mark in statement for mark in SEARCH_STATEMENTS):
            captured.append((statement, params))

    search_courses(filters, language="en", page=1, page_size=20)  # columns read beforehand
    session.rollback()
    event.listen(engine, "before_cursor_execute", grab)
    try:
        search_courses(filters, language="en", page=1, page_size=20)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    cursor = session.connection().connection.cursor()
    lines = []
    for statement, params in captured:
        lines.append(" ".join(statement.split())[:100] + " ...")
        if engine.dialect.name == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", params)
            levels: dict[int, int] = {0: -1}
            for id_, parent, _unused, detail in cursor.fetchall():
                levels[id_] = levels.get(parent, -1) + 1
                lines.append(f"  {'  ' * levels[id_]}{detail}")
        else:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params)
            lines += [f"  {row[0]}" for row in cursor.fetchall()]
    session.rollback()
    return lines


SEARCHES = {
    "text": CatalogFilters(query=QUERY, **FACETS),
    "browse": CatalogFilters(**FACETS),
}


def run(
    backend: str,
    courses: int,
    runs: int,
    postgres_url: str,
    *,
    plans: bool = False,
    keep: bool = False,
) -> dict[str, Any]:
    with scratch_database(backend, postgres_url, courses, keep=keep) as url:
        app = create_app(
            {
                "MOOC_ENV": "testing",
                "TESTING": True,
                "SECRET_KEY": "benchmark",
                "MOOC_DATABASE_URL": url,
            }
        )
        results: dict[str, Any] = {"backend": backend, "courses": courses}
        with app.test_request_context("/courses"):  # a locale for the facet labels
            upgrade_database()
            session = app.extensions["sqlalchemy"].session
            built = session.scalar(select(func.count()).select_from(Course))
            session.rollback()
            if keep and built == courses:
                results["build_s"] = None  # built by an earlier run with --keep
            else:
                if built:
                    raise SystemExit(f"{url} holds {built} courses, not {courses}: drop it")
                started = time.perf_counter()
                build_catalog(session, courses)
                results["build_s"] = time.perf_counter() - started
            for name, filters in SEARCHES.items():
                result = search_courses(filters, language="en", page=1, page_size=20)
                session.rollback()

                def service(filters: CatalogFilters = filters) -> None:
                    search_courses(filters, language="en", page=1, page_size=20)
                    session.rollback()  # like one request: a fresh transaction each time

                results[name] = {
                    "matches": result.total,
                    "service": timed(service, runs, lambda: backend_pids(session)),
                    "plan": explain(session, filters) if plans else [],
                }
        client = app.test_client()
        url_args = "&".join(f"{k}={v}" for k, vs in FACETS.items() for v in vs)
        page = f"/courses?q={QUERY}&{url_args}"
        assert client.get(page).status_code == 200
        with app.app_context():
            session = app.extensions["sqlalchemy"].session
            results["page"] = timed(lambda: client.get(page), runs, lambda: backend_pids(session))
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--courses", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--plans", action="store_true", help="print each search's plan")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument(
        "--keep",
        action="store_true",
        help=f"keep each catalog ({KEEP_DIR}/<courses>.sqlite3, PostgreSQL database "
        "mooc_bench_keep_<courses>) and reuse it on the next run instead of building it again",
    )
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    failed = False
    for backend in backends:
        by_size: dict[int, dict[str, Any]] = {}
        for courses in args.courses:
            r = by_size[courses] = run(
                backend, courses, args.runs, args.postgres_url, plans=args.plans, keep=args.keep
            )
            built = "kept" if r["build_s"] is None else f"built in {r['build_s']:.1f} s"
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(
                f"{backend}: {courses} courses ({built}), {args.runs} runs each, "
                f"load average {load}"
            )
            for name, target in TARGETS.items():
                timing = r[name]["service"]
                median, p95 = target
                ok = (courses < 100_000 and name == "text") or (
                    timing.median < median and (p95 is None or timing.p95 < p95)
                )
                if courses >= 100_000:
                    failed |= not ok
                goal = f"{median:.0f}" + (f"/{p95:.0f}" if p95 else "") + " ms at 100k"
                print(
                    f"  {name:6} {r[name]['matches']:6} matches   median {timing.median:6.1f} ms"
                    f"   p95 {timing.p95:6.1f} ms   CPU {timing.cpu_mean:5.1f} ms/search   "
                    + (
                        f"{'meets' if ok else 'MISSES'} target ({goal})"
                        if courses >= 100_000
                        else ""
                    )
                )
                for line in r[name]["plan"]:
                    print(f"      {line}")
            page = r["page"]
            print(
                f"  GET /courses?q={QUERY}&...  median {page.median:6.1f} ms   p95 "
                f"{page.p95:6.1f} ms   CPU {page.cpu_mean:5.1f} ms/page"
            )
        sizes = sorted(by_size)
        if len(sizes) > 1:
            small, large = by_size[sizes[0]], by_size[sizes[-1]]
            for name in SEARCHES:
                growth = large[name]["service"].median / small[name]["service"].median
                cpu = large[name]["service"].cpu_mean / small[name]["service"].cpu_mean
                ok = name != "text" or growth <= MAX_GROWTH
                failed |= not ok
                print(
                    f"  {name}: {sizes[0]} -> {sizes[-1]} courses: median x{growth:.2f}, "
                    f"CPU x{cpu:.2f}"
                    + (
                        f"   {'meets' if ok else 'MISSES'} target (x{MAX_GROWTH:.0f})"
                        if name == "text"
                        else ""
                    )
                )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average after the run (1/5/15 min): {load} on {os.cpu_count()} cores")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
