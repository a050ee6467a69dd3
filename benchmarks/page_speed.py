"""Anonymous page speed under load, as a share of a bare Flask "hello" (issue 10).

    python -m benchmarks.page_speed [--courses 10000] [--seconds 5] [--rounds 3] [--redis-url URL]

Builds the 10,000-course catalog of ``benchmarks/catalog_search.py`` in a scratch PostgreSQL
database, serves the portal (``wsgi:app``) and ``benchmarks/hello.py`` under the same gunicorn
settings (2 sync workers, one port each), and loads each path with ``wrk -t2 -c16`` for
``--seconds``, measuring "hello" right before and after each path in the same run. Prints each
path's requests per second and its share of "hello" (the mean of the two around it).

With ``--rounds`` N (default 3) every path is measured N times, each time between two "hello"
runs, and the round with the median share is printed (every round's share is printed too).
The defaults take about five minutes (22 s to build the catalog, 8 paths x 3 rounds x two
5-second windows).

Target: every path at least 25 % of bare Flask for an anonymous visitor. The portal's page
cache is on Redis (``--redis-url``, a key prefix of its own, deleted after) as in production;
with ``--redis-url ''`` each worker caches in its own memory.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from urllib.request import urlopen

from sqlalchemy import text

from benchmarks.catalog_search import POSTGRES_URL, build_catalog, scratch_database
from benchmarks.server import ROOT, free_port, production_env, start_gunicorn
from mooc_portal import create_app
from mooc_portal.migrate import upgrade_database

TARGET_SHARE = 0.25


def wrk(url: str, seconds: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url}: {non2xx.group(1)} error responses\n{out}")
    assert match, out
    return float(match.group(1))


def prepare(url: str, courses: int, *, build: bool = True) -> dict[str, str]:
    """Build the catalog (unless ``build`` is false: a database an earlier run kept); the slugs
    of a public course and an institution."""
    app = create_app({"MOOC_ENV": "testing", "SECRET_KEY": "bench", "MOOC_DATABASE_URL": url})
    with app.test_request_context("/"):
        session = app.extensions["sqlalchemy"].session
        if build:
            upgrade_database()
            build_catalog(session, courses)
            session.commit()
        course = session.execute(
            text(
                "SELECT c.slug FROM mooc_course c JOIN mooc_institution i "
                "ON i.id = c.institution_id WHERE c.status = 'published' AND i.active "
                "ORDER BY c.id LIMIT 1"
            )
        ).scalar_one()
        institution = session.execute(
            text("SELECT slug FROM mooc_institution WHERE active ORDER BY id LIMIT 1")
        ).scalar_one()
        if build:
            session.execute(text("ANALYZE"))  # PostgreSQL's autovacuum would, soon after a load
            session.commit()
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    return {"course": course, "institution": institution}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk window")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every path")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--paths", nargs="*", help="only these paths (SLUG: a course's slug)")
    parser.add_argument(
        "--source",
        type=Path,
        default=ROOT,
        help="serve the portal from this checkout (another branch, for a before/after)",
    )
    parser.add_argument(
        "--database-url",
        help="a database an earlier run built (its catalog is used as it is, and kept)",
    )
    args = parser.parse_args()
    run_started = time.perf_counter()
    prefix = f"mooc-bench-{uuid.uuid4().hex[:8]}:"
    with ExitStack() as stack:
        if args.database_url:
            url = args.database_url
            slugs = prepare(url, args.courses, build=False)
        else:
            url = stack.enter_context(scratch_database("postgresql", args.postgres_url))
            started = time.perf_counter()
            slugs = prepare(url, args.courses)
            print(f"{args.courses} courses built in {time.perf_counter() - started:.0f} s")
        portal_port, hello_port = free_port(), free_port()
        env = production_env(
            portal_port, url, MOOC_CACHE_REDIS_URL=args.redis_url, MOOC_CACHE_KEY_PREFIX=prefix
        )
        for app, port, source in (
            ("wsgi:app", portal_port, args.source.resolve()),
            ("benchmarks.hello:app", hello_port, ROOT),
        ):
            process = start_gunicorn(app, port, env, workers=2, cwd=source)
            stack.callback(process.wait)
            stack.callback(process.terminate)
        paths = [
            "/",
            "/courses",
            "/courses?q=data&region=asia&level=introductory",
            f"/courses/{slugs['course']}",
            "/institutions",
            f"/institutions/{slugs['institution']}",
            "/ooapi/v5/courses",
            "/api/v1/courses",
        ]
        if args.paths:
            paths = [p.replace("SLUG", slugs["course"]) for p in args.paths]
        hello = f"http://127.0.0.1:{hello_port}/"
        for path in paths:  # every page once, so the rounds measure the cache, not its filling
            wrk(f"http://127.0.0.1:{portal_port}{path}", 1)
        measured: dict[str, list[tuple[float, float]]] = {path: [] for path in paths}
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average before the run (1/5/15 min): {load}")
        before = wrk(hello, args.seconds)
        for _round in range(args.rounds):
            for path in paths:
                # Entries are made again once they are MOOC_CACHE_TIMEOUT (60 s) old, and a
                # round takes longer: one visit first, so that a window measures the steady
                # state rather than one uncached render (once a minute per page in real use,
                # across thousands of visits, against a few hundred in a window here).
                urlopen(f"http://127.0.0.1:{portal_port}{path}").read()
                rate = wrk(f"http://127.0.0.1:{portal_port}{path}", args.seconds)
                after = wrk(hello, args.seconds)
                measured[path].append((rate, (before + after) / 2))
                before = after
        rows = []
        print("every round's share (portal / mean of the hello windows around it):")
        for path, samples in measured.items():
            print(f"  {path:50} " + " ".join(f"{r / h:6.1%}" for r, h in samples))
            # The round with the median share: the machine is shared, one round can be unlucky.
            samples.sort(key=lambda s: s[0] / s[1])
            rate, hello_rate = samples[len(samples) // 2]
            rows.append((path, rate, hello_rate))
        if args.redis_url:
            import redis

            client = redis.Redis.from_url(args.redis_url)
            keys = list(client.scan_iter(match=f"{prefix}*", count=500))
            if keys:
                client.delete(*keys)
    print(f"{'path':52} {'portal req/s':>12} {'hello req/s':>12} {'share':>7}")
    failed = False
    for path, rate, hello_rate in rows:
        share = rate / hello_rate
        failed |= share < TARGET_SHARE
        flag = "" if share >= TARGET_SHARE else "  MISSES 25 %"
        print(f"{path:52} {rate:12.0f} {hello_rate:12.0f} {share:7.1%}{flag}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average after the run (1/5/15 min): {load} on {os.cpu_count()} cores")
    print(f"run time: {time.perf_counter() - run_started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
