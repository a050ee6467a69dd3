"""``flask portal import``: the bulk import from the command line, with a progress bar."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click
from flask_babel import gettext as _

from mooc_portal.accounts.services import find_account_by_email
from mooc_portal.catalog.entries import refresh_statistics
from mooc_portal.db import session
from mooc_portal.errors import NotFound, PortalError
from mooc_portal.publishing import importer, staff
from mooc_portal.publishing.permissions import require_staff


def run_import(
    path: str, slug: str, *, dry_run: bool, actor_email: str | None = None
) -> importer.ImportReport:
    try:
        institution = staff.get_institution(slug)
        actor = None
        if actor_email:
            actor = find_account_by_email(actor_email)
            if actor is None:
                raise NotFound(_("No account has the e-mail address %(email)s.", email=actor_email))
            require_staff(actor, institution)
        rows = importer.parse_file(Path(path).read_bytes(), path)

        def bar(items: Iterable[Any]) -> Iterator[Any]:
            items = list(items)
            with click.progressbar(items, label="Importing", show_pos=True) as progress:
                yield from progress

        report = importer.import_courses(
            actor, institution, rows, apply=not dry_run, progress=bar, from_command_line=True
        )
    except PortalError as error:
        session.rollback()
        raise click.ClickException(error.message) from error
    for row in report.rows:
        for field_name, message in row.errors:
            click.echo(f"row {row.row} ({row.code}) {field_name}: {message}", err=True)
    summary = (
        f"create {report.count('create')}, update {report.count('update')}, "
        f"unchanged {report.count('unchanged')}"
    )
    if not report.ok:
        session.rollback()
        raise click.ClickException(f"The file has errors; nothing was imported ({summary}).")
    if dry_run:
        session.rollback()
        click.echo(f"Dry run, nothing stored: {summary}.")
    else:
        session.commit()
        refresh_statistics(session.connection())
        session.commit()
        click.echo(f"Imported: {summary}.")
    return report
