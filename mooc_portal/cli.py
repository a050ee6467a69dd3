"""``flask portal ...``: the portal's commands, available in the standalone app and in hosts."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from mooc_portal.db import session


@click.group("portal")
def portal_cli() -> None:
    """ASEM MOOC Portal commands."""


@portal_cli.command("upgrade-db")
@with_appcontext
def upgrade_db_command() -> None:
    """Upgrade the portal's tables to the latest migration (own Alembic version table)."""
    from mooc_portal.migrate import upgrade_database

    upgrade_database()
    click.echo("The portal's tables are up to date.")


@portal_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt="Name")
@click.password_option()
@with_appcontext
def create_admin_command(email: str, display_name: str, password: str) -> None:
    """Create the first administrator (or make an existing account one)."""
    from mooc_portal.accounts.services import make_admin
    from mooc_portal.errors import PortalError

    try:
        account = make_admin(email, password, display_name)
    except PortalError as error:
        session.rollback()
        raise click.ClickException(error.message) from error
    session.commit()
    click.echo(f"{account.email} is an administrator.")


@portal_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--institution", "slug", required=True, help="Slug of the institution.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; store nothing.")
@with_appcontext
def import_command(path: str, slug: str, dry_run: bool) -> None:
    """Import courses from a CSV or JSON file (all-or-nothing, matched by course code)."""
    from mooc_portal.publishing.cli import run_import

    run_import(path, slug, dry_run=dry_run)
