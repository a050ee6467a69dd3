"""What a request does when the database goes away: a lost read runs again, else a 503.

A restart, a failover or a PgBouncer recycle ends the pool's connections. The pool tests each
connection before use (``pool_pre_ping``), so a connection that died between requests costs
nothing. A connection that dies *during* a request, or a database that is down, raises an error
that :func:`handle_database_error` turns into:

- for a read (GET, HEAD, OPTIONS) whose connection was lost: the request runs again, before-
  request checks and all, on a fresh connection (up to ``READ_ATTEMPTS`` in all); when the
  database refuses connections (it is down) or the attempts run out, a 503;
- for a write: a 503 "try again" page (or the JSON API's error), with ``Retry-After``. Nothing
  of the write was committed: the transaction died with its connection. A write is not re-run
  because its request body (an uploaded file) may already have been read, and a service may
  have sent mail before the commit.

The commit at the request boundary goes through :func:`commit_request`: when the connection
dies at the commit the outcome is unknown, and the visitor is asked to check and try again.
While a 503 is rendered the page frame asks nothing of the database (:func:`database_down`).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, g, make_response, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import ServiceUnavailable

from mooc_portal.db import database_unreachable
from mooc_portal.db import session as db_session

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A read whose connection is lost runs again, at most this many times in all: a failover or a
# PgBouncer recycle may end the fresh connection too, a database that is down refuses at once.
READ_ATTEMPTS = 3


def database_down() -> bool:
    """Whether this request already found the database out of reach (render without it)."""
    return bool(g.get("mooc_database_down", False))


def _rollback() -> None:
    try:
        db_session.rollback()
    except Exception:  # the connection is gone already; the pool replaces it
        log.debug("Rollback after a lost connection failed", exc_info=True)


def unavailable(message: str) -> Response:
    """A 503 in the format of the blueprint that serves the request, with ``Retry-After``.

    The portal's pages answer its error page, the JSON APIs their own error document: each
    blueprint's handler for 503 renders :class:`ServiceUnavailable`.
    """
    g.mooc_database_down = True
    manager = getattr(current_app, "login_manager", None)
    if manager is not None and "_login_user" not in g:
        # Flask-Login would load the visitor's account (from the database) for the template
        # context; the page is rendered for an anonymous visitor instead.
        g._login_user = manager.anonymous_user()
    retry_after = int(current_app.config["MOOC_RETRY_AFTER"])
    error = ServiceUnavailable(description=message, retry_after=retry_after)
    try:
        response = make_response(current_app.handle_user_exception(error))
    except ServiceUnavailable:  # no handler for 503 where the portal is mounted
        # Werkzeug makes a Response of its own: the same headers and body Flask would send.
        response = error.get_response()  # type: ignore[assignment]
    response.headers["Retry-After"] = str(retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def handle_database_error(error: Exception) -> Any:
    """Error handler for the portal's blueprint: see the module's docstring."""
    if not database_unreachable(error):
        raise error
    _rollback()
    attempts = g.get("mooc_database_attempts", 1)
    lost = isinstance(error, DBAPIError) and error.connection_invalidated
    if request.method in SAFE_METHODS and lost and attempts < READ_ATTEMPTS:
        # A live connection was lost (not refused): the pool reconnects, the read runs again.
        g.mooc_database_attempts = attempts + 1
        g.pop("mooc_view_raised", None)  # mooc_portal.transaction: this run starts afresh
        log.warning(
            "Database connection lost during %s %s; reading again", request.method, request.path
        )
        try:
            response = current_app.preprocess_request()
            if response is None:
                response = current_app.dispatch_request()
            return response
        except Exception as again:
            return current_app.handle_user_exception(again)
    log.error("Database unreachable during %s %s: %s", request.method, request.path, error)
    g.mooc_database_down = True  # before any text: choosing the language may ask the database
    if request.method in SAFE_METHODS:
        return unavailable(
            _("The portal cannot reach its database right now. Please try again in a few seconds.")
        )
    return unavailable(
        _(
            "Your change was not saved: the portal lost its connection to its database. "
            "Please go back and send it again in a few seconds."
        )
    )


def commit_request(response: Response) -> Response:
    """Commit the request's transaction; a 503 instead when the database goes away meanwhile.

    A read keeps its page: what it may have written on the side (the lesson a learner last
    visited) is not worth failing the page for.
    """
    try:
        db_session.commit()
    except Exception as error:
        if not database_unreachable(error):
            raise
        _rollback()
        if request.method in SAFE_METHODS:
            log.warning(
                "Database connection lost at the end of %s %s", request.method, request.path
            )
            return response
        g.mooc_database_down = True
        log.error(
            "Database unreachable at the commit of %s %s: %s", request.method, request.path, error
        )
        return unavailable(
            _(
                "The portal lost its connection to its database while saving your change, so "
                "it could not confirm it. Please check in a few seconds and send it again if it "
                "is missing."
            )
        )
    return response
