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
    # Seconds to wait for the SMTP server (a mail job that times out is retried).
    "MOOC_MAIL_TIMEOUT": 10.0,
    # Background jobs. With no Redis URL, jobs run in the process that wrote them, right after
    # the commit (make run, tests); with one, an RQ worker (`flask portal worker`) runs them.
    "MOOC_REDIS_URL": None,
    "MOOC_QUEUE_NAME": "mooc-portal",
    # Longest run of a job (seconds); a job still "running" past it (plus 30 s) lost its worker.
    "MOOC_JOB_TIMEOUT": 600,
    # Attempts before a job is given up (an administrator can retry it), and the backoff: the
    # first retry after MOOC_JOB_RETRY_DELAY seconds, doubling up to MOOC_JOB_RETRY_MAX_DELAY.
    "MOOC_JOB_MAX_ATTEMPTS": 8,
    "MOOC_JOB_RETRY_DELAY": 30.0,
    "MOOC_JOB_RETRY_MAX_DELAY": 3600.0,
    # How often (seconds) the worker's relay looks for work to hand over, retry or schedule.
    "MOOC_JOB_RELAY_INTERVAL": 2.0,
    # Finished jobs are forgotten after this many days.
    "MOOC_JOB_KEEP_DAYS": 14,
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
    # One harvest run's limits: its whole duration (seconds, however slowly the peer answers),
    # feed pages read, bytes of one response, and records rejected before the run fails.
    "MOOC_HARVEST_DEADLINE": 300.0,
    "MOOC_HARVEST_MAX_PAGES": 50,
    "MOOC_HARVEST_MAX_BYTES": 32 * 1024 * 1024,
    "MOOC_HARVEST_MAX_REJECTS": 1000,
    # A new peer's harvest interval (minutes); each peer's is set on the admin peers page.
    "MOOC_HARVEST_INTERVAL": 60,
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
