from collections.abc import Iterator

import pytest
from flask import Blueprint, Flask

from mooc_portal.accounts.permissions import admin_required, login_required, require_admin
from mooc_portal.accounts.services import current_account
from mooc_portal.errors import NotPermitted, PortalError
from mooc_portal.web import handle_portal_error
from tests.conftest import AuthActions, make_test_app, rolled_back
from tests.factories import make_account, make_institution


@pytest.fixture
def guarded(databases, backend) -> Iterator[Flask]:
    """A portal app with one view behind each decorator, on the test database."""
    databases.app(backend)  # the migrated database
    app = make_test_app(databases.url(backend))
    bp = Blueprint("guarded", __name__)

    @bp.route("/members")
    @login_required
    def members() -> str:
        return f"hello {current_account().email}"

    @bp.route("/admins")
    @admin_required
    def admins() -> str:
        return "admins only"

    # Domain blueprints nest under ``portal``, which renders PortalErrors; this one does not.
    bp.register_error_handler(PortalError, handle_portal_error)
    app.register_blueprint(bp)
    with rolled_back(app), app.app_context():
        yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_login_required_sends_visitors_to_login_with_next(guarded):
    client = guarded.test_client()
    response = client.get("/members")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login?next=%2Fmembers"
    make_account("ana@example.org")
    AuthActions(client).login("ana@example.org")
    response = client.get("/members")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "hello ana@example.org"


def test_admin_required_refuses_other_accounts(guarded):
    client = guarded.test_client()
    assert client.get("/admins").status_code == 302
    make_account("learner@example.org")
    make_account("admin@example.org", is_admin=True)
    auth = AuthActions(client)
    auth.login("learner@example.org")
    response = client.get("/admins")
    assert response.status_code == 403
    assert "This page is for administrators." in response.get_data(as_text=True)
    auth.logout()
    auth.login("admin@example.org")
    assert client.get("/admins").get_data(as_text=True) == "admins only"


def test_require_admin_admits_administrators_only(app, db_session):
    institution = make_institution()
    editor = make_account(memberships={institution: "manager"})
    admin = make_account(is_admin=True)
    for account in (None, editor):
        with pytest.raises(NotPermitted):
            require_admin(account)
    assert require_admin(admin) is admin


def test_every_admin_url_is_on_the_admin_blueprint(app):
    elsewhere = [
        (rule.rule, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/admin") and not rule.endpoint.startswith("portal.admin.")
    ]
    assert elsewhere == []
