"""The standalone portal: ``create_app()`` for ``flask run``, gunicorn (``wsgi.py``) and tests."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import Migrate

from mooc_portal import config as portal_config
from mooc_portal.resources import resource_dir


class PortalApp(Flask):
    """The standalone portal's Flask: its config refuses undeclared ``MOOC_`` keys in testing."""

    config_class = portal_config.DeclaredKeysConfig


def create_app(config: dict[str, Any] | None = None, *, instance_path: str | None = None) -> Flask:
    """Build the standalone portal.

    Configuration comes, in increasing precedence, from the defaults, the instance folder
    (``config.py`` and a ``secret_key`` file), ``MOOC_*``/``SECRET_KEY`` environment variables
    and the ``config`` mapping (tests). ``instance_path`` overrides Flask's default instance
    folder.
    """
    from mooc_portal.extension import MoocPortal
    from mooc_portal.web import install_app_error_pages

    app = PortalApp("mooc_portal", instance_path=instance_path, instance_relative_config=True)
    app.config.from_pyfile("config.py", silent=True)
    secret_file = Path(app.instance_path) / "secret_key"
    if secret_file.is_file():
        app.config["SECRET_KEY"] = secret_file.read_text().strip()
    credential_file = Path(app.instance_path) / "credential_key"
    if credential_file.is_file():
        app.config["MOOC_CREDENTIAL_KEY"] = credential_file.read_text()
    for key, value in os.environ.items():
        # Undeclared MOOC_ variables (the test suite's own, for instance) are not settings.
        if value and (key == "SECRET_KEY" or key in portal_config.DEFAULTS):
            app.config[key] = portal_config.parse_environment_value(key, value)
    app.config.update(config or {})
    if app.config.get("MOOC_ENV") == "testing":
        app.testing = True
    if app.config.get("MOOC_ENV") == "development" and not app.config.get("SECRET_KEY"):
        # Generated once into the instance folder (as `make run` does), so sessions survive
        # a restart; production never gets here: it must be given a key.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        secret_file.write_text(app.config["SECRET_KEY"] + "\n")
        secret_file.chmod(0o600)
        app.logger.warning("No SECRET_KEY: generated a development key into %s.", secret_file)
    from mooc_portal.operations import configure_logging, install_host

    portal_config.apply_defaults(app.config)
    configure_logging(app)
    if app.config.get("MOOC_ENV") == "development" and not app.config.get("MOOC_CREDENTIAL_KEY"):
        # The certificates' signing key, generated like the secret key (`make run` too).
        from mooc_portal.certificates.issuer import generate_key_pem

        app.config["MOOC_CREDENTIAL_KEY"] = generate_key_pem()
        credential_file.parent.mkdir(parents=True, exist_ok=True)
        credential_file.write_text(app.config["MOOC_CREDENTIAL_KEY"])
        credential_file.chmod(0o600)
        app.logger.warning("No MOOC_CREDENTIAL_KEY: generated one into %s.", credential_file)

    # Largest request body (uploads, import files) read at all; beyond it: 413, nothing read.
    app.config.setdefault("MAX_CONTENT_LENGTH", 32 * 1024 * 1024)
    MoocPortal(app)
    _secure_production(app)
    # The whole application is the portal: its rules (security headers) cover every response.
    app.extensions["mooc_portal"].extras["standalone"] = True
    install_app_error_pages(app)
    install_host(app)
    Migrate(
        app,
        app.extensions["sqlalchemy"],
        directory=str(resource_dir("migrations")),
        version_table=app.config["MOOC_ALEMBIC_VERSION_TABLE"],
    )
    return app


def _secure_production(app: Flask) -> None:
    """In production: answer only requests for the public host, and send cookies only over
    HTTPS, never to scripts, and not on cross-site subrequests."""
    from urllib.parse import urlsplit

    from mooc_portal.config import is_production

    if not is_production(app.config):
        return
    public = urlsplit(app.config["MOOC_PUBLIC_URL"])
    if not app.config.get("TRUSTED_HOSTS"):
        app.config["TRUSTED_HOSTS"] = [public.hostname]
    # Flask's default is False: a site served over HTTPS sends its cookie over HTTPS only.
    app.config["SESSION_COOKIE_SECURE"] |= public.scheme == "https"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
