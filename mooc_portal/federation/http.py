"""What a URL of a public API that no view answers says.

A blueprint's error handlers never see a URL that no rule of it matched (Flask has no
blueprint then), and the portal installs no application-wide handler in a host. So each API
blueprint ends with a catch-all route that calls :func:`unmatched`: the error is raised inside
the blueprint, which answers it in its own format (JSON, or OOAPI's problem documents).
"""

from __future__ import annotations

from typing import NoReturn

from flask import request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# Every method a client may try, the new QUERY included: all get a JSON 405 with Allow.
CATCH_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE", "QUERY", "CONNECT"]


def unmatched(message: str) -> NoReturn:
    """From a catch-all route: 405 with ``Allow`` when another route has this path for other
    methods, else 404 with ``message``."""
    adapter = request_ctx.url_adapter
    catch_all = request.endpoint
    allowed = set()
    for method in METHODS:
        try:
            endpoint, _args = adapter.match(request.path, method=method)  # type: ignore[union-attr]
        except HTTPException:
            continue
        if endpoint != catch_all:
            allowed.add(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=sorted(allowed | {"OPTIONS"}))
    raise NotFound(message)


def error_headers(error: HTTPException) -> dict[str, str]:
    """The headers an HTTP error carries besides its body's type (``Allow`` of a 405)."""
    return {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
