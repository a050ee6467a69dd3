"""Benchmark: export of a large catalog (the snapshot, ``flask portal export``).

Target (issue 5): 100,000 courses exported in under 20 s, with peak resident memory growth
under 50 MB over the idle process.

    python benchmarks/export_catalog.py [--courses 100000] [--database URL]

Builds the catalog with bulk inserts into a fresh SQLite file (or the given empty database),
then exports it in a child process that reports the time and its peak RSS over its idle RSS.
This module also holds ``build_catalog``, shared by the other federation benchmarks.

Measured on this 2-core machine (SQLite, 2026-11-28): 100,000 courses (2 runs, 2 languages
each) exported in 13.8 s, 336 MB of JSON, peak RSS growth 9.6 MB over 74 MB idle.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COUNTRIES = ["KR", "JP", "DE", "FR", "TH", "VN", "IT", "ES", "SG", "FI"]


def make_app(database_url: str) -> Any:
    from mooc_portal import create_app

    return create_app(
        {
            "MOOC_ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "benchmark",
            "MOOC_DATABASE_URL": database_url,
            "MOOC_PUBLIC_URL": "https://mooc.example",
        }
    )


def build_catalog(app: Any, courses: int, *, institutions: int = 50, runs: int = 2) -> None:
    """Migrate and fill the database with ``courses`` published courses, in bulk."""
    from mooc_portal.catalog.models import (
        Course,
        CourseLanguage,
        CourseRun,
        CourseSubject,
        CourseTranslation,
    )
    from mooc_portal.db import utcnow
    from mooc_portal.institutions.models import Institution, InstitutionTranslation
    from mooc_portal.migrate import upgrade_database
    from mooc_portal.reference import region_of

    with app.app_context():
        upgrade_database()
        engine = app.extensions["sqlalchemy"].engine
        now = utcnow()
        with engine.begin() as conn:
            conn.execute(
                Institution.__table__.insert(),
                [
                    {
                        "id": i + 1,
                        "uuid": uuid.uuid4(),
                        "slug": f"institution-{i}",
                        "country": COUNTRIES[i % len(COUNTRIES)],
                        "region": region_of(COUNTRIES[i % len(COUNTRIES)]).value,
                        "original_language": "en",
                        "active": True,
                        "created_at": now,
                        "modified_at": now,
                    }
                    for i in range(institutions)
                ],
            )
            conn.execute(
                InstitutionTranslation.__table__.insert(),
                [
                    {"institution_id": i + 1, "language": "en", "name": f"University {i}"}
                    for i in range(institutions)
                ],
            )
        chunk = 5000
        for start in range(0, courses, chunk):
            ids = range(start + 1, min(start + chunk, courses) + 1)
            with engine.begin() as conn:
                conn.execute(
                    Course.__table__.insert(),
                    [
                        {
                            "id": n,
                            "uuid": uuid.uuid4(),
                            "institution_id": n % institutions + 1,
                            "code": f"C{n:06d}",
                            "slug": f"course-{n}",
                            "original_language": "en",
                            "level": "introductory",
                            "pace": "instructor_led",
                            "credential": "certificate",
                            "status": "published",
                            "effort_hours": 4,
                            "length_weeks": 6,
                            "published_at": now,
                            "created_at": now,
                            "modified_at": now,
                        }
                        for n in ids
                    ],
                )
                conn.execute(
                    CourseTranslation.__table__.insert(),
                    [
                        {
                            "course_id": n,
                            "language": lang,
                            "title": f"Course {n} ({lang})",
                            "summary": "A course summary of a realistic length. " * 4,
                            "description": "A longer description of the course. " * 20,
                        }
                        for n in ids
                        for lang in ("en", "ko")
                    ],
                )
                conn.execute(
                    CourseLanguage.__table__.insert(),
                    [
                        {"course_id": n, "kind": "teaching", "language": "en", "position": 0}
                        for n in ids
                    ],
                )
                conn.execute(
                    CourseSubject.__table__.insert(),
                    [{"course_id": n, "code": "0613"} for n in ids],
                )
                conn.execute(
                    CourseRun.__table__.insert(),
                    [
                        {
                            "uuid": uuid.uuid4(),
                            "course_id": n,
                            "start_at": now + timedelta(days=30 * r),
                            "end_at": now + timedelta(days=30 * r + 42),
                            "requires_approval": False,
                            "delivery_mode": "online",
                            "cancelled": False,
                            "created_at": now,
                            "modified_at": now,
                        }
                        for n in ids
                        for r in range(runs)
                    ],
                )


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def export_child(database_url: str) -> None:
    """Run in a child process: export to /dev/null, report seconds and memory growth."""
    app = make_app(database_url)
    from mooc_portal.federation.services import export_catalog

    with app.app_context():
        for _ in export_catalog():  # warm up imports, caches and the connection pool
            break
    # Reset the high-water mark so the peak covers the export only (Linux clear_refs).
    Path("/proc/self/clear_refs").write_text("5")
    idle = _rss_kb("VmRSS")
    started = time.perf_counter()
    size = 0
    with app.app_context(), open(os.devnull, "w") as sink:
        for piece in export_catalog():
            size += len(piece)
            sink.write(piece)
    elapsed = time.perf_counter() - started
    peak = _rss_kb("VmHWM")
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "idle_mb": idle / 1024,
                "peak_growth_mb": (peak - idle) / 1024,
                "bytes": size,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=100_000)
    parser.add_argument(
        "--database", help="an empty database URL (default: a temporary SQLite file)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        export_child(args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/export-bench.sqlite3"
        started = time.perf_counter()
        build_catalog(make_app(url), args.courses)
        print(f"built {args.courses} courses in {time.perf_counter() - started:.1f} s")
        result = subprocess.run(
            [sys.executable, __file__, "--child", url], capture_output=True, text=True, check=True
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        print(
            f"export of {args.courses} courses: {figures['seconds']:.1f} s (target < 20 s), "
            f"{figures['bytes'] / 1e6:.0f} MB of JSON, peak RSS growth "
            f"{figures['peak_growth_mb']:.1f} MB over {figures['idle_mb']:.0f} MB idle "
            "(target < 50 MB)"
        )


if __name__ == "__main__":
    main()
