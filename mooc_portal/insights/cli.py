"""``flask portal insights-refresh``: rebuild the insights summaries now (e.g. from cron)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from mooc_portal.db import session


@click.command("insights-refresh")
@with_appcontext
def insights_refresh_command() -> None:
    """Rebuild the summaries the insights pages and the "about" page read."""
    from mooc_portal.insights.refresh import refresh_insights

    snapshot = refresh_insights()
    session.commit()
    click.echo(f"Insights rebuilt: {snapshot.learners} learners.")
