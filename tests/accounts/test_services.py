import pytest
from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.accounts.services import (
    authenticate,
    register_account,
    request_password_reset,
    update_profile,
)
from mooc_portal.errors import Conflict, InvalidInput, NotPermitted
from tests.factories import PASSWORD, make_account


def profile(account, **changes):
    fields = {
        "display_name": account.display_name,
        "email": account.email,
        "country": account.country,
        "preferred_language": account.preferred_language,
        "timezone": account.timezone,
    }
    return {**fields, **changes}


def test_only_the_account_itself_or_an_admin_may_change_a_profile(app, db_session):
    ana, other, admin = make_account(), make_account(), make_account(is_admin=True)
    with pytest.raises(NotPermitted):
        update_profile(ana, actor=other, **profile(ana, display_name="Hacked"))
    assert ana.display_name != "Hacked"
    update_profile(ana, actor=admin, **profile(ana, display_name="Ana by admin"))
    assert ana.display_name == "Ana by admin"


def test_profile_values_are_checked_against_reference_lists(app, db_session):
    ana = make_account()
    make_account("taken@example.org")
    cases = [
        ({"country": "US"}, InvalidInput, "country"),
        ({"preferred_language": "tlh"}, InvalidInput, "preferred_language"),
        ({"timezone": "Europe/Atlantis"}, InvalidInput, "timezone"),
        ({"email": "not an address"}, InvalidInput, "email"),
        (
            {"email": "new@example.org", "current_password": "wrong"},
            InvalidInput,
            "current_password",
        ),
        ({"display_name": " "}, InvalidInput, "display_name"),
    ]
    for changes, error, field in cases:
        with pytest.raises(error) as raised:
            update_profile(ana, actor=ana, **profile(ana, **changes))
        assert raised.value.field == field
    assert ana.country is None and ana.timezone is None
    assert ana.pending_email is None


def test_registration_normalizes_the_address_and_refuses_a_duplicate(app, db_session):
    account = register_account("  Kim@Example.ORG ", PASSWORD, " Kim Minji ", country="KR")
    assert (account.email, account.display_name) == ("kim@example.org", "Kim Minji")
    with pytest.raises(Conflict):
        register_account("KIM@example.org", PASSWORD, "Someone else")
    assert authenticate("kim@EXAMPLE.org", PASSWORD) is account


def test_no_reset_mail_for_unknown_or_host_linked_addresses(app, db_session, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "MOOC_PUBLIC_URL", "https://portal.example")
    make_account("linked@example.org", host_user_id="42")
    for email in ("nobody@example.org", "linked@example.org"):
        request_password_reset(email)
    assert outbox == []
    make_account("ana@example.org")
    request_password_reset("Ana@Example.org")
    assert outbox == []  # mail leaves only once the transaction commits (issue 9)
    db_session.commit()
    assert [m["To"] for m in outbox] == ["ana@example.org"]
    assert "https://portal.example/account/password/reset/" in outbox[0].get_content()
    assert db_session.scalar(select(Account).where(Account.email == "ana@example.org"))


def test_reset_mail_says_how_long_the_link_lasts_in_proper_grammar(
    app, db_session, outbox, monkeypatch
):
    make_account("ana@example.org")
    request_password_reset("ana@example.org")
    monkeypatch.setitem(app.config, "MOOC_PASSWORD_RESET_MAX_AGE", 2 * 3600)
    request_password_reset("ana@example.org")
    db_session.commit()
    one, two = (" ".join(m.get_content().split()) for m in outbox)
    assert "within 1 hour to choose" in one
    assert "within 2 hours to choose" in two
    assert "hour(s)" not in one + two
