"""The portal as a Flask extension: ``MoocPortal(app)`` or ``portal.init_app(app)``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from flask import Blueprint, Flask, request, session
from flask_babel import Babel, get_babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event

from mooc_portal import config as portal_config
from mooc_portal import security
from mooc_portal.db import engine_options, portal_session_class
from mooc_portal.resources import resource_dir

log = logging.getLogger(__name__)


@dataclass
class PortalState:
    """Per-application state, kept in ``app.extensions["mooc_portal"]``."""

    portal: MoocPortal
    owns_login: bool
    owns_database: bool
    extras: dict[str, Any] = field(default_factory=dict)
    # What ``/readyz`` checks, by name: each raises while its dependency is out of reach
    # (see ``mooc_portal.health.add_readiness_check``).
    readiness_checks: dict[str, Callable[[], object]] = field(default_factory=dict)


class MoocPortal:
    """Mounts the ASEM MOOC Portal in a Flask application.

    In a host that already has Flask-SQLAlchemy the portal uses the host's session; in a host with
    Flask-Login it maps the host's logged-in user to a portal account. It installs either itself
    only when the host has none. ``url_prefix`` (or ``MOOC_URL_PREFIX``) mounts it under a path.
    """

    def __init__(self, app: Flask | None = None, *, url_prefix: str | None = None) -> None:
        self.url_prefix = url_prefix
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        portal_config.apply_defaults(app.config)
        portal_config.check_required(app.config, testing=app.testing)
        owns_database = _ensure_database(app)
        owns_login = _ensure_login(app)
        _ensure_babel(app)
        app.extensions["mooc_portal"] = state = PortalState(
            portal=self, owns_login=owns_login, owns_database=owns_database
        )
        from mooc_portal.health import add_readiness_check, check_database

        add_readiness_check(app, "database", check_database)
        if app.config["MOOC_REDIS_URL"]:
            from mooc_portal.jobs.queue import check_queue

            add_readiness_check(app, "queue", check_queue)
        prefix = self.url_prefix if self.url_prefix is not None else app.config["MOOC_URL_PREFIX"]
        app.extensions["mooc_portal"].extras["url_prefix"] = prefix or ""
        app.register_blueprint(build_blueprint(), url_prefix=prefix or None)
        from mooc_portal.transaction import install_request_transaction

        install_request_transaction(app)
        from mooc_portal import operations

        operations.init_app(app, state.extras)
        security.install(app)
        _install_listeners(app)
        from mooc_portal.cli import portal_cli

        app.cli.add_command(portal_cli)


def _install_listeners(app: Flask) -> None:
    """Every event listener and signal receiver of the portal, and only here.

    Session events go to the class of the portal's sessions (``db.session``'s: the host's
    Flask-SQLAlchemy session when the portal uses the host's database), so another session in
    the process (a host's second engine, a script's) is left alone; signal receivers listen to
    this app only. Importing a portal module installs nothing.
    """
    from mooc_portal.caching import install_cache_invalidation
    from mooc_portal.catalog.entries import install_entry_maintenance
    from mooc_portal.certificates.services import install_certificate_issuing
    from mooc_portal.federation.changes import install_change_tracking
    from mooc_portal.jobs.services import install_outbox_listeners
    from mooc_portal.privacy.views import install_login_check
    from mooc_portal.xapi.services import install_receivers

    session_class = portal_session_class(app)
    install_entry_maintenance(session_class)
    install_change_tracking(session_class)
    install_cache_invalidation(session_class)
    install_outbox_listeners(session_class)
    install_certificate_issuing(app)
    install_login_check(app)
    install_receivers(app)


def _ensure_database(app: Flask) -> bool:
    if "sqlalchemy" in app.extensions:
        return False
    url = app.config["MOOC_DATABASE_URL"] or app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{Path(app.instance_path) / 'mooc_portal.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    # Our pool settings are defaults: a host's SQLALCHEMY_ENGINE_OPTIONS win key by key.
    db = SQLAlchemy(engine_options=engine_options(app.config, url))
    db.init_app(app)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        cache_mb = int(app.config["MOOC_SQLITE_CACHE_MB"])
        event.listen(engine, "connect", partial(_sqlite_connect, cache_mb=cache_mb))
        event.listen(engine, "begin", _sqlite_begin)
    return True


def _sqlite_connect(dbapi_connection: Any, _record: Any, cache_mb: int = 64) -> None:
    # Let SQLAlchemy, not the sqlite3 module, begin transactions, so that SAVEPOINT and
    # transactional DDL work (SQLAlchemy's documented pysqlite recipe); enforce foreign keys.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    # A page cache that holds the catalog's entries and text index (SQLite's default is 2 MB)
    # and the file mapped into memory instead of read a page at a time: at 100,000 courses a
    # search spent a fifth of its time copying pages (benchmarks/README.md, issue 16).
    cursor.execute(f"PRAGMA cache_size={-1024 * cache_mb}")
    cursor.execute(f"PRAGMA mmap_size={1024 * 1024 * 4 * cache_mb}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def _ensure_login(app: Flask) -> bool:
    if getattr(app, "login_manager", None) is not None:
        return False
    from mooc_portal.accounts.services import load_account

    manager = LoginManager()
    manager.init_app(app)
    manager.user_loader(load_account)
    manager.login_view = "portal.accounts.login"
    manager.login_message = None
    manager.session_protection = "strong"
    # "Keep me logged in" lasts MOOC_REMEMBER_COOKIE_DAYS, is never readable by scripts nor
    # sent on cross-site subrequests, and only over HTTPS in production.
    app.config.setdefault(
        "REMEMBER_COOKIE_DURATION", timedelta(days=int(app.config["MOOC_REMEMBER_COOKIE_DAYS"]))
    )
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    if portal_config.is_production(app.config):
        https = str(app.config.get("MOOC_PUBLIC_URL") or "").startswith("https:")
        app.config.setdefault("REMEMBER_COOKIE_SECURE", https)
    return True


def _ensure_babel(app: Flask) -> None:
    translations = str(resource_dir("translations"))
    if "babel" in app.extensions:
        directories = get_babel(app).translation_directories
        if translations not in directories:
            directories.append(translations)
        return
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["MOOC_DEFAULT_LANGUAGE"])
    Babel(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=translations,
    )


def select_locale() -> str:
    """The visitor's chosen language, else their account's, else the browser's best match."""
    from flask import current_app

    from mooc_portal.accounts.services import current_account
    from mooc_portal.resilience import database_down

    languages = current_app.config["MOOC_LANGUAGES"]
    chosen = session.get("mooc_language")
    if isinstance(chosen, str) and chosen in languages:
        return chosen
    account = None if database_down() else current_account()
    preferred = account.preferred_language if account is not None else None
    if preferred is not None and preferred in languages:
        return preferred
    return request.accept_languages.best_match(languages) or languages[0]


def select_timezone() -> str | None:
    """The account's time zone, else the one the browser reported in the ``mooc_tz`` cookie."""
    from zoneinfo import available_timezones

    from mooc_portal.accounts.services import current_account
    from mooc_portal.resilience import database_down

    account = None if database_down() else current_account()
    if account is not None and account.timezone:
        return account.timezone
    # The browser writes the zone URL-encoded ("Asia%2FSeoul"), as cookie values must be.
    reported = unquote(request.cookies.get("mooc_tz", ""))
    if reported and reported in _timezones(available_timezones):
        return reported
    return None


_TIMEZONES: set[str] = set()


def _timezones(loader: Any) -> set[str]:
    if not _TIMEZONES:
        _TIMEZONES.update(loader())
    return _TIMEZONES


def build_blueprint() -> Blueprint:
    """The ``portal`` blueprint with every domain's blueprint nested in it."""
    from mooc_portal.accounts.views import bp as accounts_bp
    from mooc_portal.admin.views import bp as admin_bp
    from mooc_portal.catalog.institution_pages import bp as institutions_bp
    from mooc_portal.catalog.views import bp as catalog_bp
    from mooc_portal.certificates.views import bp as certificates_bp
    from mooc_portal.certificates.views import issuer_bp as credentials_bp
    from mooc_portal.enrollment.views import bp as enrollment_bp
    from mooc_portal.federation.views import api_bp, federation_bp
    from mooc_portal.health import bp as health_bp
    from mooc_portal.insights.views import about_bp
    from mooc_portal.insights.views import bp as insights_bp
    from mooc_portal.partner.views import bp as partner_bp
    from mooc_portal.privacy.views import bp as privacy_bp
    from mooc_portal.privacy.views import install_privacy_checks
    from mooc_portal.progress.views import bp as progress_bp
    from mooc_portal.web import bp as web_bp
    from mooc_portal.web import install_page_handlers
    from mooc_portal.xapi.pages import bp as xapi_partner_bp
    from mooc_portal.xapi.pages import learner_bp as xapi_learner_bp
    from mooc_portal.xapi.views import bp as xapi_bp

    portal = Blueprint(
        "portal",
        __name__,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        static_url_path="/static/portal",
    )
    for child in (
        web_bp,
        catalog_bp,
        institutions_bp,
        accounts_bp,
        enrollment_bp,
        certificates_bp,
        credentials_bp,
        federation_bp,
        api_bp,
        partner_bp,
        admin_bp,
        progress_bp,
        health_bp,
        privacy_bp,
        xapi_bp,
        xapi_partner_bp,
        xapi_learner_bp,
        insights_bp,
        about_bp,
    ):
        portal.register_blueprint(child)
    portal.before_request(security.check_request)
    install_page_handlers(portal)
    install_privacy_checks(portal)
    return portal
