"""Benchmark: a failed login takes as long for an unknown address as for an existing account.

Target (issue 8, finding 5): the median time of ``authenticate`` with a wrong password is
within 25 % between an existing account, an unknown address and an invited account without a
password (the authorised test measured 150 ms against 14 ms before the fix).

    python -m benchmarks.login_timing [--rounds 30]

Runs in process on a scratch SQLite database; the throttle is set out of the way so that
every attempt reaches the password check. The script exits non-zero when the target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mooc_portal import create_app
from mooc_portal.migrate import upgrade_database


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "MOOC_ENV": "testing",
                "TESTING": True,
                "SECRET_KEY": "benchmark",
                "MOOC_DATABASE_URL": f"sqlite:///{tmp}/login.sqlite3",
                "MOOC_LOGIN_MAX_FAILURES": 10**9,
                "MOOC_LOGIN_ADDRESS_MAX_FAILURES": 10**9,
            }
        )
        with app.test_request_context():
            from mooc_portal.accounts.models import Account
            from mooc_portal.accounts.services import authenticate, register_account
            from mooc_portal.db import session

            upgrade_database()
            register_account("known@example.org", "correct horse battery", "Known")
            session.add(Account(email="invited@example.org", display_name="Invited"))
            session.commit()
            cases = {
                "existing account": "known@example.org",
                "unknown address": "nobody@example.org",
                "invited, no password": "invited@example.org",
            }
            authenticate("nobody@example.org", "warm up")  # the dummy hash is made once
            times: dict[str, list[float]] = {label: [] for label in cases}
            for _ in range(args.rounds):  # interleaved, so that load on the machine hits all
                for label, email in cases.items():
                    started = time.perf_counter()
                    authenticate(email, "wrong password")
                    times[label].append(time.perf_counter() - started)
                session.rollback()
            medians = {label: statistics.median(values) for label, values in times.items()}
            for label, median in medians.items():
                print(f"{label:<22} median {median * 1000:7.1f} ms")
            app.extensions["sqlalchemy"].engine.dispose()
    spread = max(medians.values()) / min(medians.values())
    print(f"slowest / fastest: {spread:.2f} (target at most 1.25)")
    return 0 if spread <= 1.25 else 1


if __name__ == "__main__":
    raise SystemExit(main())
