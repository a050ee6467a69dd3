"""``/healthz`` and ``/readyz`` for a load balancer or an orchestrator.

``/healthz`` says the process answers; it touches nothing else. ``/readyz`` runs every readiness
check (the database always; Redis and the job queue once they are configured, each registered
with :func:`add_readiness_check`) and answers 503 with ``Retry-After`` while any of them fails.
Neither reads the session, the logged-in account or the visitor's language, so neither needs the
database to answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

ReadinessCheck = Callable[[], object]


def add_readiness_check(app: Flask, name: str, check: ReadinessCheck) -> None:
    """Make ``/readyz`` check ``check`` under ``name``: not ready while it raises.

    ``check`` runs in an application context on every ``/readyz`` request and should answer
    within about a second (give its client a timeout). Register it from ``init_app`` only when
    the dependency is configured, e.g. ``add_readiness_check(app, "redis", redis_client.ping)``.
    A second check under the same name replaces the first.
    """
    app.extensions["mooc_portal"].readiness_checks[name] = check


def check_database() -> None:
    """The database answers a query on a connection from the pool.

    A pooled connection the server ended at that moment is replaced once, as a page's read
    would be: only a database that refuses or loses a fresh connection too is not ready.
    """
    engine = current_app.extensions["sqlalchemy"].engine
    for attempt in (1, 2):
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise


def _no_store(response: Response, status: int) -> Response:
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/healthz")
def healthz() -> Response:
    return _no_store(jsonify(status="ok"), 200)


@bp.route("/readyz")
def readyz() -> Response:
    results: dict[str, str] = {}
    for name, check in current_app.extensions["mooc_portal"].readiness_checks.items():
        try:
            check()
        except Exception as error:  # any failure means: not ready; the log says why
            log.warning("Readiness check %s failed: %s", name, error)
            results[name] = f"unreachable ({type(error).__name__})"
        else:
            results[name] = "ok"
    ready = all(result == "ok" for result in results.values())
    response = _no_store(
        jsonify(status="ready" if ready else "not ready", checks=results), 200 if ready else 503
    )
    if not ready:
        response.headers["Retry-After"] = str(current_app.config["MOOC_RETRY_AFTER"])
    return response
