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


def _add_domain_commands() -> None:
    from mooc_portal.federation.cli import export_command, harvest_command, prune_changes_command

    for command in (export_command, harvest_command, prune_changes_command):
        portal_cli.add_command(command)


_add_domain_commands()
