"""The portal mounted as an extension in a bare host application.

The host has its own Flask-SQLAlchemy (its own declarative base and ``User`` model, in the same
database as the portal's tables) and its own Flask-Login. Each test gets a fresh database: a
temporary SQLite file, and a new PostgreSQL database when a server is reachable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, redirect, request
from flask_login import LoginManager, UserMixin, current_user, login_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, func, inspect, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mooc_portal import MoocPortal
from mooc_portal.accounts.models import Account
from mooc_portal.migrate import upgrade_database
from tests.factories import make_course
from tests.scratch_database import postgres_unavailable_reason, scratch_database


class HostBase(DeclarativeBase):
    pass


host_db = SQLAlchemy(model_class=HostBase)


class User(UserMixin, host_db.Model):
    __tablename__ = "host_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))


HOME_OVERRIDE = """{% extends "mooc_portal/base.html" %}
{% block main %}<h1>The host's own portal home</h1>{% endblock %}
"""


def build_host(database_url: str, root: Path) -> tuple[Flask, LoginManager]:
    templates = root / "host_templates"
    templates.mkdir(parents=True, exist_ok=True)
    app = Flask("host_app", instance_path=str(root / "instance"), template_folder=str(templates))
    app.config.update(
        SECRET_KEY="host-secret",
        SQLALCHEMY_DATABASE_URI=database_url,
        TESTING=True,
    )
    host_db.init_app(app)
    login_manager = LoginManager(app)
    login_manager.login_view = "host_login"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return host_db.session.get(User, int(user_id))

    @app.route("/login")
    def host_login() -> str:
        return f"host login page, next={request.args.get('next', '')}"

    @app.route("/login-as/<int:user_id>")
    def host_login_as(user_id: int):
        login_user(host_db.session.get(User, user_id))
        return redirect("/")

    @app.route("/")
    def host_home() -> str:
        return f"host home for {current_user.name if current_user.is_authenticated else 'nobody'}"

    MoocPortal(app, url_prefix="/mooc")
    return app, login_manager


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'host.sqlite3'}"
        return
    reason = postgres_unavailable_reason()
    if reason:
        if os.environ.get("MOOC_REQUIRE_POSTGRES"):
            pytest.fail(f"MOOC_REQUIRE_POSTGRES is set but {reason}")
        pytest.skip(reason)
    with scratch_database("mooc_host") as url:
        yield url


@pytest.fixture
def bare_host(database_url: str, tmp_path: Path) -> Iterator[tuple[Flask, LoginManager]]:
    """The host app with its own table and one user, before the portal's tables exist."""
    app, login_manager = build_host(database_url, tmp_path)
    with app.app_context():
        host_db.create_all()
        host_db.session.add(User(email="ines@host.example", name="Inês Host"))
        host_db.session.commit()
    yield app, login_manager
    with app.app_context():
        host_db.session.remove()
        host_db.engine.dispose()


@pytest.fixture
def host(bare_host: tuple[Flask, LoginManager]) -> Flask:
    """The host with the portal's tables migrated."""
    app, _ = bare_host
    with app.app_context():
        upgrade_database()
    return app


def table_names(app: Flask) -> set[str]:
    with app.app_context():
        return set(inspect(host_db.engine).get_table_names())


def test_portal_uses_the_hosts_database_and_login(bare_host):
    app, login_manager = bare_host
    assert app.extensions["sqlalchemy"] is host_db
    assert app.login_manager is login_manager
    state = app.extensions["mooc_portal"]
    assert not state.owns_database and not state.owns_login
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith(("sqlite", "postgresql"))


def test_upgrade_db_creates_only_the_portals_tables_with_their_own_version_table(bare_host):
    app, _ = bare_host
    before = table_names(app)
    assert before == {"host_user"}
    result = app.test_cli_runner().invoke(args=["portal", "upgrade-db"])
    assert result.exit_code == 0, result.output
    added = table_names(app) - before
    assert {"mooc_account", "mooc_course", "mooc_institution", "mooc_alembic_version"} <= added
    assert all(name.startswith("mooc_") for name in added)
    assert "alembic_version" not in table_names(app)
    with app.app_context():
        version = host_db.session.execute(text("SELECT version_num FROM mooc_alembic_version"))
        assert version.scalar_one()
        users = host_db.session.scalars(select(User.email)).all()
    assert users == ["ines@host.example"]
    # A second run finds nothing to do and changes nothing.
    assert app.test_cli_runner().invoke(args=["portal", "upgrade-db"]).exit_code == 0
    assert table_names(app) == before | added


def test_catalog_pages_answer_under_the_prefix(host):
    with host.app_context():
        course = make_course("Mekong River Ecology", runs=1)
        slug = course.slug
        host_db.session.commit()
    client = host.test_client()
    home = client.get("/mooc/")
    assert home.status_code == 200
    assert "Mekong River Ecology" in home.get_data(as_text=True)
    assert f'href="/mooc/courses/{slug}"' in home.get_data(as_text=True)
    assert client.get("/mooc/courses").status_code == 200
    assert client.get(f"/mooc/courses/{slug}").status_code == 200
    assert client.get("/mooc/courses/no-such-course").status_code == 404
    assert client.get("/mooc/institutions").status_code == 200
    assert client.get("/courses").status_code == 404
    assert client.get("/").get_data(as_text=True) == "host home for nobody"


def test_host_user_gets_one_linked_portal_account(host):
    client = host.test_client()
    response = client.get("/mooc/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    client.get("/login-as/1")
    for _ in range(2):
        page = client.get("/mooc/account/")
        assert page.status_code == 200
        assert "Inês Host" in page.get_data(as_text=True)
    with host.app_context():
        accounts = host_db.session.scalars(select(Account)).all()
        assert [(a.host_user_id, a.email, a.password_hash) for a in accounts] == [
            ("1", "ines@host.example", None)
        ]
    assert "Inês Host" in client.get("/mooc/").get_data(as_text=True)


def test_portal_login_pages_defer_to_the_host(host):
    client = host.test_client()
    response = client.get("/mooc/account/login?next=/mooc/courses")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fmooc%2Fcourses"
    assert client.get("/mooc/account/register").status_code == 302
    assert client.get("/mooc/account/password/forgot").status_code == 404
    with host.app_context():
        assert host_db.session.scalar(select(func.count(Account.id))) == 0


def test_static_files_and_templates_are_found_and_the_host_can_override_one(host, tmp_path):
    override = tmp_path / "host_templates" / "mooc_portal" / "web" / "home.html"
    override.parent.mkdir(parents=True)
    override.write_text(HOME_OVERRIDE)
    client = host.test_client()
    css = client.get("/mooc/static/portal/css/portal.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    assert "--color-primary" in css.get_data(as_text=True)
    css.close()
    home = client.get("/mooc/").get_data(as_text=True)
    assert "The host's own portal home" in home  # the host's mooc_portal/web/home.html wins
    assert "/mooc/static/portal/css/portal.css" in home  # the portal's base.html is used
    courses = client.get("/mooc/courses").get_data(as_text=True)
    assert 'class="site-header"' in courses
