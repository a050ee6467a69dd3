"""``flask portal ...``: the portal's commands, available in the standalone app and in hosts."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from mooc_portal.db import refresh_statistics, session


@click.group("portal")
def portal_cli() -> None:
    """ASEM MOOC Portal commands."""


@portal_cli.command("upgrade-db")
@with_appcontext
def upgrade_db_command() -> None:
    """Upgrade the portal's tables to the latest migration (own Alembic version table)."""
    from mooc_portal.migrate import upgrade_database

    upgrade_database()  # refreshes the statistics too
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


@portal_cli.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Load nothing when institutions already exist.")
@click.option(
    "--force",
    is_flag=True,
    help="Load even in production (demo accounts share a published password).",
)
@with_appcontext
def demo_data_command(if_empty: bool, force: bool) -> None:
    """Load the demo catalog (partners, courses, runs) and one demo account per role."""
    import os

    from flask import current_app, url_for

    from mooc_portal.config import is_production
    from mooc_portal.demo import has_institutions, load_demo_data
    from mooc_portal.errors import PortalError

    if is_production(current_app.config) and not force:
        raise click.ClickException(
            "This portal runs in production (MOOC_ENV is not development or testing): the demo "
            "data would add made-up courses and an administrator whose password is published. "
            "Nothing was loaded. Add --force if you really mean it."
        )

    if if_empty and has_institutions():
        click.echo("The database already has institutions: the demo catalog was not loaded.")
        return
    from mooc_portal.mail import mail_suppressed

    # The demo's learners and staff are made up: their enrolment mails go nowhere.
    with mail_suppressed():
        try:
            summary = load_demo_data()
        except PortalError as error:
            session.rollback()
            raise click.ClickException(error.message) from error
        session.commit()
    click.echo(
        f"Loaded {summary.institutions} institutions from {summary.countries} countries, "
        f"{summary.courses} courses and {summary.runs} runs."
    )
    click.echo("Demo accounts (e-mail, role, password):")
    for account in summary.accounts:
        note = f"  ({account.note})" if account.note else ""
        click.echo(f"  {account.email:<36} {account.role:<24} {account.password}{note}")
    with current_app.test_request_context():
        login_path = url_for("portal.accounts.login")
    port = os.environ.get("PORT", "5000")
    click.echo(f"Log in at http://127.0.0.1:{port}{login_path} (the address `make run` serves).")


@portal_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--institution", "slug", required=True, help="Slug of the institution.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; store nothing.")
@click.option(
    "--as",
    "actor_email",
    help="E-mail of the staff member or administrator the audit log names for this import.",
)
@with_appcontext
def import_command(path: str, slug: str, dry_run: bool, actor_email: str | None) -> None:
    """Import courses from a CSV or JSON file (all-or-nothing, matched by course code)."""
    from mooc_portal.publishing.cli import run_import

    run_import(path, slug, dry_run=dry_run, actor_email=actor_email)
    if not dry_run:
        refresh_statistics()


@portal_cli.command("reindex")
@click.option("--background", is_flag=True, help="Leave it to the worker (a job).")
@with_appcontext
def reindex_command(background: bool) -> None:
    """Rebuild every course's search document and catalog entry (after an upgrade that changes
    how they are built, or a bulk load that bypassed the portal), then the statistics."""
    from sqlalchemy import select

    if background:
        from mooc_portal.catalog.search import request_reindex

        request_reindex()
        session.commit()
        click.echo("Reindexing is queued for the worker.")
        return

    from mooc_portal.catalog.entries import rebuild_entries
    from mooc_portal.catalog.models import Course
    from mooc_portal.catalog.search import index_course
    from mooc_portal.catalog.spelling import rebuild_words

    ids = session.scalars(select(Course.id).order_by(Course.id)).all()
    with click.progressbar(ids, label="Indexing courses") as bar:
        for course_id in bar:
            index_course(session.get_one(Course, course_id))
    session.flush()
    public = rebuild_entries(session.connection())
    rebuild_words(session.connection())  # drops the words no document holds any more
    refresh_statistics()
    click.echo(f"{len(ids)} courses indexed.")
    click.echo(f"{public} public courses in the catalog.")


@portal_cli.command("media-to-database")
@with_appcontext
def media_to_database_command() -> None:
    """Copy the course images of MOOC_MEDIA_DIR into the database (every host then serves
    them); the files stay until you remove them."""
    from mooc_portal.publishing.media import move_disk_images_to_database

    copied, present = move_disk_images_to_database()
    session.commit()
    click.echo(f"{copied} images copied into the database, {present} were there already.")


def _add_domain_commands() -> None:
    from mooc_portal.federation.cli import export_command, harvest_command, prune_changes_command
    from mooc_portal.insights.cli import insights_refresh_command
    from mooc_portal.jobs.cli import worker_command
    from mooc_portal.privacy.cli import (
        apply_retention_command,
        erase_account_command,
        export_personal_data_command,
    )

    for command in (
        export_command,
        harvest_command,
        prune_changes_command,
        worker_command,
        export_personal_data_command,
        erase_account_command,
        apply_retention_command,
        insights_refresh_command,
    ):
        portal_cli.add_command(command)


_add_domain_commands()
