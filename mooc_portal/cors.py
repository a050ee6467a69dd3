"""Cross-origin reads of the public, read-only endpoints (Flask-CORS, ``MOOC_CORS_*``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_cors.core import get_cors_options, set_cors_headers

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def _cors_options() -> Any:
    extras = current_app.extensions["mooc_portal"].extras
    if "cors" not in extras:
        config = current_app.config
        extras["cors"] = get_cors_options(
            None,
            {
                "origins": config["MOOC_CORS_ORIGINS"],
                "methods": list(READ_METHODS),
                "max_age": int(config["MOOC_CORS_MAX_AGE"]),
                "supports_credentials": False,
                # "*" rather than the caller's origin: one cached answer serves every site.
                "send_wildcard": True,
                "expose_headers": ["ETag", "Last-Modified", "Link", "Location", "Retry-After"],
            },
        )
    return extras["cors"]


def allow_public_reads(bp: Blueprint, endpoints: Collection[str] | None = None) -> None:
    """Let any origin's scripts read ``bp``'s responses (only ``endpoints`` of it when given),
    with Flask-CORS, configured by ``MOOC_CORS_*``. Reads only: a preflight for a write gets
    no ``Access-Control-Allow-Methods`` for it, so a browser does not send the write; no
    credentials, so no cookie rides along."""

    def add_cors_headers(response: Response) -> Response:
        if request.method not in READ_METHODS:
            return response
        if endpoints is not None and (request.endpoint or "").rsplit(".", 1)[-1] not in endpoints:
            return response
        return set_cors_headers(response, _cors_options())

    bp.after_request(add_cors_headers)
