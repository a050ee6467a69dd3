"""The application of the current app context, as the real object (typed)."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app
from werkzeug.local import LocalProxy


def current_flask_app() -> Flask:
    """The Flask application behind ``current_app`` (the object, not the proxy).

    What a signal sender, a background thread or a cache keyed by application needs: the proxy
    stops working outside the app context. Flask types ``current_app`` as ``Flask`` although
    it is a ``LocalProxy``; the cast says what it is.
    """
    return cast("LocalProxy[Flask]", current_app)._get_current_object()
