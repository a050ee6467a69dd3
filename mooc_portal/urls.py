"""Absolute URLs of the portal, always from ``MOOC_PUBLIC_URL``, never from the request.

A request's ``Host`` header is chosen by whoever sends the request: a link built from it and
mailed to someone else, cached for other visitors or published to peers would point wherever
the sender wanted. Every absolute URL the portal writes (mail, API, feeds, exports,
credentials, sitemap, JSON-LD, canonical links) comes from :func:`external_url` instead.

``MOOC_PUBLIC_URL`` is required outside development and testing (``config.check_required``);
there, without it, links point to ``http://localhost``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.routing import MapAdapter

from mooc_portal.appctx import current_flask_app

DEVELOPMENT_URL = "http://localhost"


def public_base_url(app: Flask | None = None) -> str:
    """The configured public URL of the portal's site, without a trailing slash."""
    app = app or current_flask_app()
    return str(app.config.get("MOOC_PUBLIC_URL") or DEVELOPMENT_URL).rstrip("/")


def _adapter(app: Flask) -> MapAdapter:
    base = public_base_url(app)
    cache = app.extensions["mooc_portal"].extras
    cached = cache.get("public_url_adapter")
    if cached is None or cached[0] != base:
        parts = urlsplit(base)
        adapter = app.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
        )
        cached = cache["public_url_adapter"] = (base, adapter)
    found: MapAdapter = cached[1]
    return found


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` on the public site (``url_for(..., _external=True)``
    without trusting the request). Works outside a request too (commands, the harvester)."""
    app = current_flask_app()
    values = {k: v for k, v in values.items() if v is not None}
    app.inject_url_defaults(endpoint, values)
    return _adapter(app).build(endpoint, values, force_external=True)


def absolute_url(path: str) -> str:
    """A site-relative path (``/courses?page=2``, as ``url_for`` gives) made absolute on the
    public site's origin."""
    parts = urlsplit(public_base_url())
    return f"{parts.scheme}://{parts.netloc}{path}"
