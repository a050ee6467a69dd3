from sqlalchemy import select

from mooc_portal.accounts.models import Account
from tests.factories import make_account


def stored(db_session, email):
    db_session.expire_all()
    return db_session.scalar(select(Account).where(Account.email == email))


def test_create_admin_makes_an_administrator_who_can_log_in(runner, auth, db_session):
    result = runner.invoke(
        args=["portal", "create-admin", "--email", "Boss@Example.org", "--name", "The Boss"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "boss@example.org is an administrator." in result.output
    account = stored(db_session, "boss@example.org")
    assert account.is_admin and account.display_name == "The Boss"
    assert auth.login("boss@example.org", "a long enough password").status_code == 302


def test_create_admin_refuses_a_short_password_and_creates_nothing(runner, db_session):
    result = runner.invoke(
        args=["portal", "create-admin", "--email", "boss@example.org", "--name", "Boss"],
        input="short\nshort\n",
    )
    assert result.exit_code == 1
    assert "Error: Use at least 10 characters." in result.output
    assert stored(db_session, "boss@example.org") is None


def test_create_admin_promotes_an_existing_account(runner, db_session):
    make_account("ana@example.org")
    result = runner.invoke(
        args=["portal", "create-admin", "--email", "ana@example.org", "--name", "Ana"],
        input="whatever password\nwhatever password\n",
    )
    assert result.exit_code == 0, result.output
    assert stored(db_session, "ana@example.org").is_admin
