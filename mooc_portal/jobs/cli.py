"""``flask portal worker``: runs the background jobs beside the web processes."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from mooc_portal.appctx import current_flask_app


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run what is due, then stop.")
@click.option("--no-relay", is_flag=True, help="Only run jobs; another worker relays.")
@with_appcontext
def worker_command(burst: bool, no_relay: bool) -> None:
    """Run background jobs (mail, harvests, reindexing): an RQ worker on MOOC_REDIS_URL and the
    relay that hands the outbox to it, retries failed jobs and schedules harvests. Without
    MOOC_REDIS_URL it runs due jobs itself."""
    from mooc_portal.jobs.queue import run_worker

    app = current_flask_app()
    run_worker(app, burst=burst, relay=not no_relay)
