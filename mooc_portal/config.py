"""Configuration defaults. Every key the portal reads starts with ``MOOC_`` and is declared
here, with a comment saying what it does.

The extension sets these with ``app.config.setdefault`` so a host's values win. The standalone
app reads ``MOOC_*`` environment variables by the type of their default
(:func:`parse_environment_value`); in testing its config refuses to read an undeclared
``MOOC_`` key (:class:`DeclaredKeysConfig`), so a key read without a default fails the suite.
"""

import json
from typing import Any

from flask import Config

DEFAULTS: dict[str, Any] = {
    # "production", "development" or "testing". Outside the last two a strong SECRET_KEY and
    # MOOC_PUBLIC_URL are required.
    "MOOC_ENV": "production",
    # Any SQLAlchemy URL; used only when the portal installs Flask-SQLAlchemy itself.
    "MOOC_DATABASE_URL": None,
    # Where the portal's pages are mounted in the application ("" or "/mooc").
    "MOOC_URL_PREFIX": "",
    # The site's name in pages, mail and credentials.
    "MOOC_SITE_NAME": "ASEM MOOC Portal",
    # Interface languages offered by the switcher, and the one used when nothing else decides.
    "MOOC_LANGUAGES": ["en", "ko", "zh", "ja", "vi", "th", "id", "fr", "de", "es"],
    "MOOC_DEFAULT_LANGUAGE": "en",
    # Courses per catalog page.
    "MOOC_PAGE_SIZE": 20,
    # Video lessons: the PeerTube instances whose videos lessons may embed (host names, e.g.
    # ["framatube.org"]). YouTube (youtube-nocookie.com) and Vimeo (dnt=1) are always allowed;
    # the Content Security Policy's frame-src lists exactly these origins.
    "MOOC_PEERTUBE_INSTANCES": [],
    # Rows per page of the administrators' and partners' lists (?size= may ask for fewer or
    # more, up to the maximum).
    "MOOC_LIST_PAGE_SIZE": 25,
    "MOOC_LIST_PAGE_SIZE_MAX": 200,
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
    # Insights: the summaries are rebuilt in the background when a page finds them older than
    # this (seconds); `flask portal insights-refresh` rebuilds them at once.
    "MOOC_INSIGHTS_MAX_AGE": 900,
    # Accounts: the shortest password accepted; how long a password-reset link works (seconds).
    "MOOC_PASSWORD_MIN_LENGTH": 10,
    "MOOC_PASSWORD_RESET_MAX_AGE": 3600,
    # An invitation to partner staff stays valid longer than a password reset: a week.
    "MOOC_INVITATION_MAX_AGE": 7 * 24 * 3600,
    # The link that confirms an e-mail address (at registration and on change): two days.
    "MOOC_EMAIL_VERIFICATION_MAX_AGE": 2 * 24 * 3600,
    # Failed logins: after this many failures for one account, or from one network address,
    # within the window (seconds), each further attempt waits for a delay that doubles with
    # every failure, up to MOOC_LOGIN_MAX_DELAY seconds (a slowdown, never a lock-out).
    "MOOC_LOGIN_MAX_FAILURES": 5,
    "MOOC_LOGIN_ADDRESS_MAX_FAILURES": 10,
    "MOOC_LOGIN_FAILURE_WINDOW": 900,
    "MOOC_LOGIN_MAX_DELAY": 300,
    # Mails an anonymous visitor can cause (password resets, "you already have an account"):
    # at most this many per e-mail address and per network address within the window.
    "MOOC_MAIL_REQUESTS_PER_EMAIL": 3,
    "MOOC_MAIL_REQUESTS_PER_ADDRESS": 10,
    "MOOC_MAIL_REQUEST_WINDOW": 3600,
    # How long "keep me logged in" lasts, in days.
    "MOOC_REMEMBER_COOKIE_DAYS": 14,
    # Course images: "database" (default: every host serves them), "s3" (an S3-compatible
    # object store, below: every host serves them) or "disk" (MOOC_MEDIA_DIR, default
    # <instance>/media: one host only); at most MOOC_MAX_IMAGE_BYTES each.
    "MOOC_MEDIA_STORAGE": "database",
    "MOOC_MEDIA_DIR": None,
    # The object store of MOOC_MEDIA_STORAGE = "s3": the bucket (required), the endpoint URL
    # (None: AWS itself; https://s3.example.org for MinIO, Ceph, Garage...), the region, the
    # access key (None: boto3's own chain: environment, instance profile), a key prefix, and
    # the public base URL the bucket is readable at, if any (images are then redirected there;
    # without it the portal serves them from the store).
    "MOOC_MEDIA_S3_BUCKET": None,
    "MOOC_MEDIA_S3_ENDPOINT_URL": None,
    "MOOC_MEDIA_S3_REGION": None,
    "MOOC_MEDIA_S3_ACCESS_KEY_ID": None,
    "MOOC_MEDIA_S3_SECRET_ACCESS_KEY": None,
    "MOOC_MEDIA_S3_PREFIX": "media/",
    "MOOC_MEDIA_S3_PUBLIC_URL": None,
    "MOOC_MAX_IMAGE_BYTES": 2 * 1024 * 1024,
    # The public address of the site (https://mooc.example.org, with a path if mounted under
    # one). Every absolute URL (mail, API, feeds, exports, credentials, sitemap) is built on it,
    # never on the request's Host header. Required outside development and testing.
    "MOOC_PUBLIC_URL": None,
    # Federation: how long the change feed keeps changes (and tombstones), and the harvester's
    # HTTP timeout (seconds).
    "MOOC_CHANGE_RETENTION_DAYS": 180,
    "MOOC_HARVEST_TIMEOUT": 10.0,
    # Cross-origin reads (Flask-CORS) of the public, read-only endpoints: /api/v1 GETs,
    # /ooapi/v5, the sitemap, the credential JSON. Origins: "*" or a list of origins (or
    # regular expressions); never with credentials. Writes stay token-only and not cross-origin.
    "MOOC_CORS_ORIGINS": "*",
    # Seconds a browser may keep a preflight answer.
    "MOOC_CORS_MAX_AGE": 86400,
    # OOAPI v5: the portal's root organization id (default: derived from MOOC_SITE_NAME) and
    # the service's contact address (default: the example address of the demo).
    "MOOC_OOAPI_ROOT_ID": None,
    "MOOC_OOAPI_CONTACT_EMAIL": None,
    # Shared state of several hosts. Without a Redis URL the page cache and the rate limits live
    # in the process (`make run`, tests); production sets them to Redis (docs/deployment.md).
    "MOOC_CACHE_REDIS_URL": None,
    "MOOC_CACHE_KEY_PREFIX": "mooc:",
    # Anonymous pages and API lists are cached at most this long (seconds): availability
    # follows the clock; every catalog change is seen at once through the cache key.
    "MOOC_CACHE_TIMEOUT": 60,
    # The standalone portal answers cached pages to visitors without a session before Flask
    # runs (mooc_portal/early_cache.py): one Redis read per page.
    "MOOC_CACHE_EARLY": True,
    # Where the rate limits count (default: the cache's Redis, else in the process); on or off.
    "MOOC_RATELIMIT_STORAGE_URL": None,
    "MOOC_RATELIMIT_ENABLED": True,
    # Per address (a campus behind one NAT address shares it: keep these generous), per
    # account (enrolment) and per API token (writes). Flask-Limiter's notation.
    "MOOC_RATELIMIT_LOGIN": "30 per minute;300 per hour",
    "MOOC_RATELIMIT_REGISTER": "20 per minute;100 per hour",
    "MOOC_RATELIMIT_PASSWORD_RESET": "10 per minute;50 per hour",
    "MOOC_RATELIMIT_ENROL": "30 per minute",
    "MOOC_RATELIMIT_API_WRITE": "120 per minute",
    # Prometheus metrics at /metrics (multiprocess under gunicorn: PROMETHEUS_MULTIPROC_DIR).
    "MOOC_METRICS": False,
    # Log JSON lines with a request id (production); plain text when false.
    "MOOC_LOG_JSON": False,
    # Reverse proxies in front of the standalone portal whose X-Forwarded-For/-Proto to trust.
    "MOOC_PROXY_COUNT": 0,
    # Over HTTPS (MOOC_PUBLIC_URL starts with https://): secure cookies and this HSTS max-age.
    "MOOC_HSTS_MAX_AGE": 31536000,
    # One harvest run's limits: its whole duration (seconds, however slowly the peer answers),
    # feed pages read, bytes of one response, and records rejected before the run fails.
    "MOOC_HARVEST_DEADLINE": 300.0,
    "MOOC_HARVEST_MAX_PAGES": 50,
    "MOOC_HARVEST_MAX_BYTES": 32 * 1024 * 1024,
    "MOOC_HARVEST_MAX_REJECTS": 1000,
    # A new peer's harvest interval (minutes); each peer's is set on the admin peers page.
    "MOOC_HARVEST_INTERVAL": 60,
    # Personal data (docs/privacy.md). The controller and the contact the privacy notice names.
    "MOOC_PRIVACY_CONTROLLER": "The ASEM MOOC Portal consortium",
    "MOOC_PRIVACY_CONTACT": "privacy@asem-mooc.example",
    # Retention, in days, applied by `flask portal apply-retention`: failed log-in attempts,
    # audit entries, withdrawn or rejected enrolments (counted from the end of their run) and
    # accounts whose e-mail address was never verified (counted from registration).
    # "My data" of an account with more rows than this (enrolments, lessons completed, log-in
    # attempts) is built by a background job and kept to download for MOOC_DATA_DOWNLOAD_DAYS.
    "MOOC_DATA_DOWNLOAD_INLINE_ROWS": 2000,
    # The export (/api/v1/export) is built by a background job and served from the database:
    # again at most MOOC_EXPORT_SNAPSHOT_DELAY seconds after a catalog change (changes within
    # that time share one build), and at least every MOOC_EXPORT_SNAPSHOT_MAX_AGE seconds. While
    # no snapshot is current, a catalog of at most MOOC_EXPORT_INLINE_COURSES public courses is
    # streamed by the request itself; a larger one answers 503 with Retry-After until the job
    # has built it.
    "MOOC_EXPORT_SNAPSHOT_DELAY": 60,
    "MOOC_EXPORT_SNAPSHOT_MAX_AGE": 24 * 3600,
    "MOOC_EXPORT_INLINE_COURSES": 500,
    # A course import (partner import page) of more rows than this is checked and applied by a
    # background job; the import page shows its state and then its report.
    "MOOC_IMPORT_INLINE_ROWS": 200,
    "MOOC_DATA_DOWNLOAD_DAYS": 7,
    "MOOC_RETENTION_LOGIN_ATTEMPT_DAYS": 30,
    "MOOC_RETENTION_AUDIT_DAYS": 2 * 365,
    "MOOC_RETENTION_CLOSED_ENROLMENT_DAYS": 365,
    "MOOC_RETENTION_UNVERIFIED_ACCOUNT_DAYS": 30,
    # Certificates: the issuer's Ed25519 private key (PKCS#8 PEM; or the instance folder's
    # credential_key file), required in production; the publicKeyMultibase (z6Mk...) of keys
    # retired by a rotation, kept in the DID document so their credentials stay verifiable.
    "MOOC_CREDENTIAL_KEY": None,
    "MOOC_CREDENTIAL_RETIRED_KEYS": [],
    # Peer portals on loopback, private or link-local addresses are refused (the harvester must
    # not reach the server's own network). True only for local testing and the demo peer.
    "MOOC_ALLOW_PRIVATE_PEERS": False,
    # The database connection pool (PostgreSQL; SQLite ignores them). Every pooled connection is
    # tested before use (pre-ping), so a restart, a failover or a PgBouncer recycle costs no
    # request; connections older than the recycle age (seconds) are replaced; a request waits
    # at most the pool timeout (seconds) for a free connection and a new connection at most the
    # connect timeout (seconds) per host. Behind PgBouncer in transaction pooling set
    # MOOC_DATABASE_PGBOUNCER: no server-side prepared statements are then used.
    "MOOC_DATABASE_POOL_SIZE": 5,
    "MOOC_DATABASE_MAX_OVERFLOW": 10,
    "MOOC_DATABASE_POOL_TIMEOUT": 10,
    "MOOC_DATABASE_POOL_RECYCLE": 1800,
    "MOOC_DATABASE_PRE_PING": True,
    # SQLite only: each connection's page cache in MB (and four times that mapped in memory).
    "MOOC_SQLITE_CACHE_MB": 64,
    "MOOC_DATABASE_CONNECT_TIMEOUT": 5,
    "MOOC_DATABASE_PGBOUNCER": False,
    # While the database is unreachable pages answer 503 with this Retry-After (seconds).
    "MOOC_RETRY_AFTER": 5,
    # Alembic version table of the portal's own migrations.
    "MOOC_ALEMBIC_VERSION_TABLE": "mooc_alembic_version",
}

RELAXED_ENVS = frozenset({"development", "testing"})


class ConfigurationError(RuntimeError):
    """Raised at start-up when the configuration cannot run the portal safely."""


def apply_defaults(config: dict[str, Any]) -> None:
    for key, value in DEFAULTS.items():
        config.setdefault(key, value)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def parse_environment_value(key: str, value: str) -> Any:
    """An environment variable's text as the type of ``key``'s default: a whole number, a
    number, true/false, a list (JSON, or comma-separated), else the text unchanged (secrets,
    passwords and addresses stay strings, also when they look like numbers)."""
    default = DEFAULTS.get(key)
    try:
        if isinstance(default, bool):
            word = value.strip().lower()
            if word not in _TRUE | _FALSE:
                raise ValueError(value)
            return word in _TRUE
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, list):
            if value.lstrip().startswith("["):
                parsed = json.loads(value)
                if not isinstance(parsed, list):
                    raise ValueError(value)
                return parsed
            return [part.strip() for part in value.split(",") if part.strip()]
    except ValueError:
        kind = type(default).__name__
        raise ConfigurationError(
            f"The environment variable {key}={value!r} is not a valid {kind} "
            f"(its default is {default!r})."
        ) from None
    return value


class DeclaredKeysConfig(Config):
    """A Flask config that, in testing, refuses to read a ``MOOC_`` key with no default in
    :data:`DEFAULTS`: code reading an undeclared key fails the test that runs it."""

    def _check(self, key: Any) -> None:
        if (
            isinstance(key, str)
            and key.startswith("MOOC_")
            and key not in DEFAULTS
            and dict.get(self, "MOOC_ENV") == "testing"
        ):
            raise KeyError(f"{key} is read but not declared in mooc_portal/config.py DEFAULTS")

    def __getitem__(self, key: Any) -> Any:
        self._check(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._check(key)
        return super().get(key, default)


MIN_SECRET_KEY_LENGTH = 32


def is_production(config: Any) -> bool:
    return not config.get("TESTING") and config.get("MOOC_ENV") not in RELAXED_ENVS


def check_required(config: dict[str, Any], *, testing: bool = False) -> None:
    """Fail with a clear message when a key required outside development is missing or weak."""
    if testing or config.get("MOOC_ENV") in RELAXED_ENVS:
        return
    secret = config.get("SECRET_KEY")
    if not secret:
        raise ConfigurationError(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (or write it to "
            "the instance folder's secret_key file) before starting the portal in production. "
            "For local development set MOOC_ENV=development or use `make run`."
        )
    if _weak_secret(secret):
        raise ConfigurationError(
            f"SECRET_KEY is too weak: it signs sessions and password-reset links, so anyone "
            f"who guesses it can log in as anyone. Use at least {MIN_SECRET_KEY_LENGTH} random "
            f"characters, for example the output of "
            f'`python -c "import secrets; print(secrets.token_hex(32))"`.'
        )
    check_public_url(config.get("MOOC_PUBLIC_URL"))
    if not config.get("MOOC_CREDENTIAL_KEY"):
        raise ConfigurationError(
            "MOOC_CREDENTIAL_KEY is not set: certificates are signed with it. Make an Ed25519 "
            "key with `openssl genpkey -algorithm ed25519 -out instance/credential_key` (the "
            "instance folder's credential_key file) or set the MOOC_CREDENTIAL_KEY environment "
            "variable to the PEM text. For local development set MOOC_ENV=development."
        )


def _weak_secret(secret: str | bytes) -> bool:
    text = secret.decode("latin-1") if isinstance(secret, bytes) else str(secret)
    # Long but repetitive keys ("aaaa...", "changeme" typed four times) are weak too.
    return len(text) < MIN_SECRET_KEY_LENGTH or len(set(text)) < 10


def check_public_url(url: str | None) -> None:
    """Fail unless ``url`` is an absolute http(s) address without query or fragment."""
    from urllib.parse import urlsplit

    example = "for example MOOC_PUBLIC_URL=https://mooc.example.org"
    if not url:
        raise ConfigurationError(
            "MOOC_PUBLIC_URL is not set. Set it to the address people use to reach the portal "
            f"({example}): links in mail, the API and feeds are built on it, never on the "
            "request's Host header. For local development set MOOC_ENV=development."
        )
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigurationError(
            f"MOOC_PUBLIC_URL {url!r} is not an absolute http(s) address without query or "
            f"fragment ({example})."
        )
