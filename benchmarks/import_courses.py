"""Benchmark: import a file of 2,000 courses (CSV) into one institution.

Target (issue 3): under 30 seconds on this 2-core machine. Not part of the test run.
Measured 2026-11-28 (2,000 courses, each with two languages, two subjects and a Korean
translation): SQLite import 17.1 s (dry run 0.2 s, re-import 3.1 s, all unchanged);
PostgreSQL import 12.4 s (dry run 0.2 s, re-import 1.2 s).

    python benchmarks/import_courses.py [--courses 2000] [--database-url URL]

Builds a fresh database (SQLite in a temporary directory unless ``--database-url`` names an
empty PostgreSQL database), generates the file, then times a dry run, the import, and a second
import of the same file (which must change nothing).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mooc_portal import create_app
from mooc_portal.db import session
from mooc_portal.institutions.models import Institution, InstitutionTranslation
from mooc_portal.migrate import upgrade_database
from mooc_portal.publishing.importer import import_courses, parse_file

SUBJECTS = ["0521", "0613", "0312", "0413", "0231", "0912", "0711", "0222"]
LANGUAGES = ["en", "ko", "de", "fr", "ja", "zh", "es", "vi"]


def make_file(count: int) -> bytes:
    out = io.StringIO()
    fields = [
        "code",
        "original_language",
        "title",
        "summary",
        "description",
        "learning_outcomes",
        "level",
        "pace",
        "effort_hours",
        "length_weeks",
        "credential",
        "ects_credits",
        "teaching_languages",
        "subjects",
        "accessibility_statement",
        "title:ko",
        "summary:ko",
    ]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for n in range(count):
        ects = n % 3 == 0
        writer.writerow(
            {
                "code": f"BENCH{n:05d}",
                "original_language": "en",
                "title": f"Benchmark course {n}: topics in {SUBJECTS[n % 8]}",
                "summary": f"A summary of benchmark course {n}.",
                "description": "A longer description of the course. " * 10,
                "learning_outcomes": "Explain, analyse and apply the ideas.",
                "level": ("introductory", "intermediate", "advanced")[n % 3],
                "pace": ("self_paced", "instructor_led")[n % 2],
                "effort_hours": str(2 + n % 6),
                "length_weeks": str(4 + n % 9),
                "credential": "ects" if ects else "certificate",
                "ects_credits": "3" if ects else "",
                "teaching_languages": f"en;{LANGUAGES[n % 8]}",
                "subjects": f"{SUBJECTS[n % 8]};{SUBJECTS[(n + 3) % 8]}",
                "accessibility_statement": "Captions and transcripts.",
                "title:ko": f"벤치마크 강좌 {n}",
                "summary:ko": "요약",
            }
        )
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app(
            {"MOOC_ENV": "testing", "SECRET_KEY": "benchmark", "MOOC_DATABASE_URL": url}
        )
        with app.app_context():
            upgrade_database()
            institution = Institution(slug="bench-u", country="KR", region="asia")
            institution.translations.append(
                InstitutionTranslation(language="en", name="Benchmark University")
            )
            session.add(institution)
            session.commit()
            data = make_file(args.courses)
            print(
                f"{args.courses} courses, {len(data) / 1e6:.1f} MB of CSV, on {url.split(':')[0]}"
            )
            for label, apply in (("dry run", False), ("import", True), ("re-import", True)):
                started = time.perf_counter()
                rows = parse_file(data, "bench.csv")
                report = import_courses(
                    None, institution, rows, apply=apply, from_command_line=True
                )
                session.commit()
                elapsed = time.perf_counter() - started
                counts = ", ".join(
                    f"{a} {report.count(a)}" for a in ("create", "update", "unchanged")
                )
                print(f"{label:>10}: {elapsed:6.2f} s ({counts}; ok={report.ok})")
            app.extensions["sqlalchemy"].engine.dispose()


if __name__ == "__main__":
    main()
