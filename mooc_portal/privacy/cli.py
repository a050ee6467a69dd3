"""``flask portal export-personal-data``, ``erase-account`` and ``apply-retention``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext

from mooc_portal.db import session

if TYPE_CHECKING:
    from mooc_portal.accounts.models import Account


def _account(email: str) -> Account:
    from mooc_portal.accounts.services import find_account_by_email

    account = find_account_by_email(email)
    if account is None:
        raise click.ClickException(f"No account has the e-mail address {email}.")
    return account


@click.command("export-personal-data")
@click.argument("email")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File to write."
)
@with_appcontext
def export_personal_data_command(email: str, output: str | None) -> None:
    """Write everything stored about the account with EMAIL as JSON (an access request).

    The same document as the learner's own "My data" download; the request is logged.
    """
    from mooc_portal.privacy.export import personal_data, record_access_request

    account = _account(email)
    document = json.dumps(personal_data(account), ensure_ascii=False, indent=2)
    record_access_request(account, channel="administrator")
    session.commit()
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(document)
        click.echo(f"Wrote the personal data of one account to {output}.")
    else:
        click.echo(document)


@click.command("erase-account")
@click.argument("email")
@click.option(
    "--certificates",
    type=click.Choice(["keep", "revoke"]),
    required=True,
    help="Keep the holder's certificates verifiable under their name, or revoke them.",
)
@click.confirmation_option(prompt="Erase this account? This cannot be undone.")
@with_appcontext
def erase_account_command(email: str, certificates: str) -> None:
    """Erase the account with EMAIL (an erasure request received by mail or post)."""
    from mooc_portal.privacy.erasure import erase_account

    request = erase_account(
        _account(email), keep_certificates=certificates == "keep", channel="administrator"
    )
    session.commit()
    click.echo(f"Erased; logged as request #{request.id}.")


@click.command("apply-retention")
@with_appcontext
def apply_retention_command() -> None:
    """Remove or anonymise what is older than the MOOC_RETENTION_* periods (for the scheduler)."""
    from mooc_portal.privacy.retention import apply_retention

    report = apply_retention()
    session.commit()
    click.echo(
        f"Removed {report.login_attempts} failed log-in attempts and {report.audit_entries} "
        f"audit entries; anonymised {report.enrolments} closed enrolments; erased "
        f"{report.accounts} unverified accounts."
    )
    for note in report.notes:
        click.echo(note)
