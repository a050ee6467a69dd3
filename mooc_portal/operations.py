"""Running on several hosts: the shared cache, rate limits, request ids and JSON logs.

``init_app`` is called by the extension once the portal's blueprints are registered. What only
the standalone host installs (compression, metrics, HTTPS headers) is in :func:`install_host`,
called by ``create_app``: a host application chooses its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from mooc_portal.caching import install_caching
from mooc_portal.early_cache import install_early_cache

REQUEST_ID_HEADER = "X-Request-Id"

# Endpoint -> (config key of its limit, key function name). Only POSTs count.
RATE_LIMITED = {
    "portal.accounts.login": ("MOOC_RATELIMIT_LOGIN", "address"),
    "portal.accounts.register": ("MOOC_RATELIMIT_REGISTER", "address"),
    "portal.accounts.forgot_password": ("MOOC_RATELIMIT_PASSWORD_RESET", "address"),
    "portal.accounts.reset_password": ("MOOC_RATELIMIT_PASSWORD_RESET", "address"),
    "portal.enrollment.enrol": ("MOOC_RATELIMIT_ENROL", "account"),
    "portal.api.course_create": ("MOOC_RATELIMIT_API_WRITE", "token"),
    "portal.api.course_update": ("MOOC_RATELIMIT_API_WRITE", "token"),
    "portal.api.run_create": ("MOOC_RATELIMIT_API_WRITE", "token"),
    "portal.api.run_update": ("MOOC_RATELIMIT_API_WRITE", "token"),
}


def init_app(app: Flask, extras: dict[str, Any]) -> None:
    extras["cache"] = install_caching(app)
    extras["limiter"] = _install_limiter(app)
    app.before_request(_assign_request_id)
    app.after_request(_send_request_id)


# Rate limits ------------------------------------------------------------------------------


def _address_key() -> str:
    return f"ip:{get_remote_address()}"


def _account_key() -> str:
    from mooc_portal.accounts.services import current_account

    account = current_account()
    return f"account:{account.id}" if account is not None else _address_key()


def _token_key() -> str:
    # Per API token: the hash of the presented credential (a wrong one counts per address too).
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer ") and header[7:].strip():
        return "token:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
    return _address_key()


_KEYS = {"address": _address_key, "account": _account_key, "token": _token_key}


def _install_limiter(app: Flask) -> Limiter:
    """Flask-Limiter on Redis (``MOOC_RATELIMIT_STORAGE_URL``) or in memory, limits per view.

    A breach raises Flask-Limiter's 429, which the portal's error handlers answer: the error
    page, or the API's JSON error; ``Retry-After`` says when to try again.
    """
    storage = app.config["MOOC_RATELIMIT_STORAGE_URL"] or app.config["MOOC_CACHE_REDIS_URL"]
    limiter = Limiter(
        key_func=_address_key,
        storage_uri=storage or "memory://",
        key_prefix=f"{app.config['MOOC_CACHE_KEY_PREFIX']}limits",
        headers_enabled=True,
        strategy="moving-window",
        enabled=bool(app.config["MOOC_RATELIMIT_ENABLED"]),
    )
    # Registered before the limiter's own hook, so it runs after it: Flask-Limiter writes its
    # window's Retry-After on every response of a limited view, which would replace the one a
    # 503 gives while the database is unreachable (resilience.py).
    app.after_request(_keep_unavailable_retry_after)
    limiter.init_app(app)
    for endpoint, (config_key, key_name) in RATE_LIMITED.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        limited: Callable[..., Any] = limiter.limit(
            _configured_limit(app, config_key),
            key_func=_KEYS[key_name],
            methods=["POST", "PATCH"],
            scope=endpoint,
        )(view)
        app.view_functions[endpoint] = limited
    return limiter


def _configured_limit(app: Flask, key: str) -> Callable[[], str]:
    """The limit in ``app``'s configuration under ``key``, read when a request is counted."""

    def limit() -> str:
        value: str = app.config[key]
        return value

    return limit


def _keep_unavailable_retry_after(response: Any) -> Any:
    if response.status_code == 503 and g.get("mooc_database_down", False):
        response.headers["Retry-After"] = str(int(current_app.config["MOOC_RETRY_AFTER"]))
    return response


# Request ids and JSON logs -----------------------------------------------------------------


def _assign_request_id() -> None:
    # A proxy's id is kept (so its log and ours tell the same story) when it looks like one.
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.mooc_request_id = given if valid_request_id(given) else uuid.uuid4().hex


def valid_request_id(given: str) -> bool:
    return 8 <= len(given) <= 64 and given.replace("-", "").isalnum()


def _send_request_id(response: Any) -> Any:
    if "mooc_request_id" in g:
        response.headers.setdefault(REQUEST_ID_HEADER, g.mooc_request_id)
    return response


def current_request_id() -> str | None:
    return g.get("mooc_request_id") if has_request_context() else None


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, method and path."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        request_id = current_request_id()
        if request_id:
            entry.update(request_id=request_id, method=request.method, path=request.path)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    """Plain lines for development; JSON lines when ``MOOC_LOG_JSON`` is set (production)."""
    if not app.config["MOOC_LOG_JSON"]:
        logging.basicConfig(level=logging.INFO)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    app.logger.handlers.clear()  # propagate to the root's JSON handler


# The standalone host ----------------------------------------------------------------------


def install_host(app: Flask) -> None:
    """What the standalone portal adds around the extension: gzip/brotli, metrics, HTTPS."""
    from flask_compress import Compress

    # Pages and JSON (the export snapshot too). Not static files: Flask-Compress would stream
    # them and leave the file open; a reverse proxy compresses those (docs/deployment.md).
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html", "application/json"])
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Flask-Compress streams (the export snapshot) in brotli or deflate, not gzip.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    Compress().init_app(app)
    if app.config["MOOC_METRICS"]:
        from mooc_portal import metrics

        metrics.install(app)
    public_url = str(app.config.get("MOOC_PUBLIC_URL") or "")
    if public_url.startswith("https://"):
        app.config.update(
            SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, SESSION_COOKIE_SAMESITE="Lax"
        )
        hsts = f"max-age={int(app.config['MOOC_HSTS_MAX_AGE'])}"

        @app.after_request
        def strict_transport_security(response: Any) -> Any:
            response.headers.setdefault("Strict-Transport-Security", hsts)
            return response

    # Inside ProxyFix: the early cache sees the request as Flask does (scheme and address).
    install_early_cache(app)
    proxies = int(app.config["MOOC_PROXY_COUNT"])
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to add WSGI middleware; mypy sees a method replaced.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0
        )
