"""Benchmark: the administrators' paginated lists with the demo catalog, in process.

Target (issue 12): every page of ``/admin/certificates`` (first page, a search, a later page)
and ``/admin/institutions`` (filtered) answers in under 200 ms in process: one count and one
page query, whatever the page number; the query count does not grow with the page size.

    python benchmarks/admin_lists.py [--database sqlite|postgresql] [--rounds 20]

Loads the demo data into a scratch database (SQLite file, or a PostgreSQL database created and
dropped by the script), logs in as the demo administrator and times each address ``--rounds``
times with the test client (median and slowest).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PATHS = (
    "/admin/certificates",
    "/admin/certificates?q=learner",
    "/admin/certificates?page=3",
    "/admin/certificates?size=200",
    "/admin/institutions?region=europe",
    "/admin/enrolments?page=2",
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    from sqlalchemy import func, select

    from mooc_portal.certificates.models import Certificate
    from mooc_portal.db import session
    from mooc_portal.demo import DEMO_PASSWORD, load_demo_data
    from mooc_portal.migrate import upgrade_database
    from tests.conftest import make_test_app
    from tests.scratch_database import create_database, drop_database

    with tempfile.TemporaryDirectory() as folder:
        name = None
        if args.database == "sqlite":
            url = f"sqlite:///{folder}/bench.sqlite3"
        else:
            name, url = create_database("bench_admin_lists")
        app = make_test_app(url)
        try:
            with app.app_context():
                upgrade_database()
                load_demo_data()
                session.commit()
                certificates = session.scalar(select(func.count()).select_from(Certificate))
            client = app.test_client()
            page = client.get("/account/login").get_data(as_text=True)
            token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
            client.post(
                "/account/login",
                data={
                    "email": "admin@asem-mooc.example",
                    "password": DEMO_PASSWORD,
                    "csrf_token": token,
                },
            )
            print(f"{args.database}: {certificates} certificates")
            for path in PATHS:
                client.get(path)  # warm up
                times = []
                for _ in range(args.rounds):
                    start = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                print(
                    f"  {path:40} median {statistics.median(times):6.1f} ms"
                    f"   slowest {max(times):6.1f} ms"
                )
        finally:
            with app.app_context():
                app.extensions["sqlalchemy"].engine.dispose()
            if name is not None:
                drop_database(name)


if __name__ == "__main__":
    main()
