"""The database restarts (``pg_ctl restart -m fast``, held down 2 s) under a bounded load.

During the outage pages answer 503 with ``Retry-After`` and ``/readyz`` says not ready; from
2 s after the database is back every request answers 200 (or the write's redirect); every
enrolment, publication and lesson completion the portal acknowledged is stored.
"""

from __future__ import annotations

import time

from tests.faults.conftest import migrated_database
from tests.faults.load import Load, seed, stored, write_ops

OUTAGE = 2.5
RECOVERY = 2.0


def test_pages_answer_503_during_a_restart_and_no_acknowledged_write_is_lost(new_cluster, serve):
    cluster = new_cluster()
    url = migrated_database(cluster, "portal")
    data = seed(url, learners=8, runs=4, lessons=6, in_review=6)
    portal = serve(url)
    ops = write_ops(data, portal.url)
    load = Load(ops, portal.url, pace=0.1).start()

    time.sleep(1.0)
    stopping = time.monotonic()
    cluster.stop("fast")
    down = time.monotonic()
    time.sleep(OUTAGE)
    starting = time.monotonic()
    cluster.start()
    back = time.monotonic()
    load.finish()

    print(f"\nrestart: stop took {down - stopping:.2f} s, start {back - starting:.2f} s")
    print("answers:", load.summary())
    assert load.unexpected == [], load.unexpected[:5]

    # Sent and answered while the database was down (a request queued in gunicorn during the
    # outage may be served, rightly, once it is back).
    outage = [a for a in load.between(down, starting) if a.ended <= starting]
    assert {a.kind for a in outage} >= {"read", "ready"}, "the load did not run during the outage"
    assert all(a.status == 503 and a.retry_after for a in outage), [
        (a.path, a.status, a.started - down, a.ended - down, starting - down, back - down)
        for a in outage
        if a.status != 503
    ]

    first_ok = min(
        (a.ended for a in load.answers if a.started >= back and a.status in (200, 302)),
        default=None,
    )
    assert first_ok is not None
    print(f"first 200 after the database's return: {first_ok - back:.2f} s")
    for a in sorted(load.between(back - 1, back + 3), key=lambda a: a.started):
        print(
            f"  {a.kind:8} {a.status} sent {a.started - back:+.2f} s "
            f"answered {a.ended - back:+.2f} s"
        )
    after = load.between(back + RECOVERY, float("inf"))
    assert after, "no request was sent after the recovery window"
    assert all(a.status in (200, 302) for a in after), [
        (a.path, a.status) for a in after if a.status not in (200, 302)
    ]
    refused = sum(1 for a in load.answers if a.status == 503)
    print(f"503 answers in all: {refused}; other errors: {len(load.unexpected)}")

    # Every write was eventually acknowledged, and every acknowledged write is stored.
    kept = stored(url)
    for kind, count in (("enrol", 32), ("complete", 48), ("publish", 6)):
        acknowledged = load.acknowledged.get(kind, set())
        assert len(acknowledged) == count, (kind, len(acknowledged))
        assert acknowledged <= kept[kind], (kind, acknowledged - kept[kind])
