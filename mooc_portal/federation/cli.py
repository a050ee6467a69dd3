"""Federation's commands: ``flask portal export``, ``harvest`` and ``prune-changes``."""

from __future__ import annotations

from typing import IO

import click
from flask.cli import with_appcontext

from mooc_portal.db import refresh_statistics, session


@click.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=False))
@with_appcontext
def export_command(file: IO[str]) -> None:
    """Write the public catalog snapshot (the same document as /api/v1/export) to FILE."""
    from mooc_portal.federation.services.snapshot import count_export, export_catalog

    institutions, courses = count_export()
    with click.progressbar(length=institutions + courses, label="Exporting", file=None) as bar:
        for piece in export_catalog(progress=bar.update):
            file.write(piece)
    click.echo(f"Exported {institutions} institutions and {courses} courses.", err=True)


@click.command("prune-changes")
@with_appcontext
def prune_changes_command() -> None:
    """Forget changes older than MOOC_CHANGE_RETENTION_DAYS (older cursors then answer 410)."""
    from mooc_portal.federation.services.feed import prune_changes

    removed = prune_changes()
    session.commit()
    click.echo(f"Removed {removed} changes.")


@click.command("harvest")
@click.argument("peer", required=False)
@with_appcontext
def harvest_command(peer: str | None) -> None:
    """Pull the change feed of PEER (by name), or of every enabled peer."""
    from mooc_portal.federation.harvest import harvest_peers

    failed = False
    for run in harvest_peers(peer):
        line = (
            f"{run.peer.name}: {run.status}, {run.created} created, {run.updated} updated, "
            f"{run.withdrawn} withdrawn, {run.rejected} rejected"
        )
        if run.error:
            line += f" ({run.error})"
            failed = True
        click.echo(line)
    refresh_statistics()
    if failed:
        raise SystemExit(1)
