"""Configuration defaults. Every key the portal reads starts with ``MOOC_``.

The extension sets these with ``app.config.setdefault`` so a host's values win.
"""

from typing import Any

DEFAULTS: dict[str, Any] = {
    # "production", "development" or "testing". Outside the last two a SECRET_KEY is required.
    "MOOC_ENV": "production",
    # Any SQLAlchemy URL; used only when the portal installs Flask-SQLAlchemy itself.
    "MOOC_DATABASE_URL": None,
    "MOOC_URL_PREFIX": "",
    "MOOC_SITE_NAME": "ASEM MOOC Portal",
    "MOOC_LANGUAGES": ["en", "ko"],
    "MOOC_DEFAULT_LANGUAGE": "en",
    "MOOC_DEFAULT_TIMEZONE": "UTC",
    "MOOC_PAGE_SIZE": 20,
    "MOOC_MAX_PAGE_SIZE": 100,
    # Mail: with no server configured, messages are written to the log.
    "MOOC_MAIL_SERVER": None,
    "MOOC_MAIL_PORT": 25,
    "MOOC_MAIL_USE_TLS": False,
    "MOOC_MAIL_USERNAME": None,
    "MOOC_MAIL_PASSWORD": None,
    "MOOC_MAIL_SENDER": "ASEM MOOC Portal <no-reply@asem-mooc.example>",
    # Accounts
    "MOOC_PASSWORD_MIN_LENGTH": 10,
    "MOOC_PASSWORD_RESET_MAX_AGE": 3600,
    # An invitation to partner staff stays valid longer than a password reset: a week.
    "MOOC_INVITATION_MAX_AGE": 7 * 24 * 3600,
    "MOOC_LOGIN_MAX_FAILURES": 5,
    "MOOC_LOGIN_FAILURE_WINDOW": 900,
    # Course images: stored in this directory (default: <instance>/media), at most this size.
    "MOOC_MEDIA_DIR": None,
    "MOOC_MAX_IMAGE_BYTES": 2 * 1024 * 1024,
    # Federation: how long the change feed keeps changes (and tombstones), the public base URL
    # for links in exports made outside a request, and the harvester's HTTP timeout (seconds).
    "MOOC_CHANGE_RETENTION_DAYS": 180,
    "MOOC_PUBLIC_URL": None,
    "MOOC_HARVEST_TIMEOUT": 10.0,
    # Certificates: the issuer's Ed25519 private key (PKCS#8 PEM; or the instance folder's
    # credential_key file), required in production; the publicKeyMultibase (z6Mk...) of keys
    # retired by a rotation, kept in the DID document so their credentials stay verifiable.
    "MOOC_CREDENTIAL_KEY": None,
    "MOOC_CREDENTIAL_RETIRED_KEYS": [],
    # Peer portals on loopback, private or link-local addresses are refused (the harvester must
    # not reach the server's own network). True only for local testing and the demo peer.
    "MOOC_ALLOW_PRIVATE_PEERS": False,
    # Alembic version table of the portal's own migrations.
    "MOOC_ALEMBIC_VERSION_TABLE": "mooc_alembic_version",
}

RELAXED_ENVS = frozenset({"development", "testing"})


class ConfigurationError(RuntimeError):
    """Raised at start-up when the configuration cannot run the portal safely."""


def apply_defaults(config: dict[str, Any]) -> None:
    for key, value in DEFAULTS.items():
        config.setdefault(key, value)


def check_required(config: dict[str, Any], *, testing: bool = False) -> None:
    """Fail with a clear message when a key required outside development is missing."""
    if testing or config.get("MOOC_ENV") in RELAXED_ENVS:
        return
    if not config.get("SECRET_KEY"):
        raise ConfigurationError(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (or write it to "
            "the instance folder's secret_key file) before starting the portal in production. "
            "For local development set MOOC_ENV=development or use `make run`."
        )
    if not config.get("MOOC_CREDENTIAL_KEY"):
        raise ConfigurationError(
            "MOOC_CREDENTIAL_KEY is not set: certificates are signed with it. Make an Ed25519 "
            "key with `openssl genpkey -algorithm ed25519 -out instance/credential_key` (the "
            "instance folder's credential_key file) or set the MOOC_CREDENTIAL_KEY environment "
            "variable to the PEM text. For local development set MOOC_ENV=development."
        )
    if not config.get("MOOC_PUBLIC_URL"):
        raise ConfigurationError(
            "MOOC_PUBLIC_URL is not set: the portal's public address (e.g. "
            "https://mooc.example.org) names the certificates' issuer (did:web) and their links."
        )
