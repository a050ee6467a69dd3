"""The application and the request of the current context, as the real objects (typed)."""

from __future__ import annotations

from typing import cast

from flask import Flask, Request, current_app, request
from werkzeug.local import LocalProxy


def current_flask_app() -> Flask:
    """The Flask application behind ``current_app`` (the object, not the proxy).

    What a signal sender, a background thread or a cache keyed by application needs: the proxy
    stops working outside the app context. Flask types ``current_app`` as ``Flask`` although
    it is a ``LocalProxy``; the cast says what it is.
    """
    return cast("LocalProxy[Flask]", current_app)._get_current_object()


def current_request() -> Request:
    """The request behind ``request`` (the object, not the proxy): to tell requests apart."""
    return cast("LocalProxy[Request]", request)._get_current_object()
