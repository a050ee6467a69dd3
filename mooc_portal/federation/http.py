"""What a URL of a public API that no view answers says.

A blueprint's error handlers never see a URL that no rule of it matched (Flask has no
blueprint then), and the portal installs no application-wide handler in a host. So each API
blueprint ends with a catch-all route that calls :func:`unmatched`: the error is raised inside
the blueprint, which answers it in its own format (JSON, or OOAPI's problem documents).
"""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, Response, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# Every method a client may try, the new QUERY included: all get a JSON 405 with Allow.
CATCH_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE", "QUERY", "CONNECT"]


def allowed_methods() -> list[str]:
    """The methods the routes for this request's path answer, the API's catch-all left out."""
    adapter = request_ctx.url_adapter
    if adapter is None:  # never: a request being answered was matched with one
        return []
    catch_all = f"{request.blueprint}.unknown_endpoint"
    allowed = set()
    for method in METHODS:
        try:
            endpoint, _args = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != catch_all:
            allowed.add(method)
    return sorted(allowed | {"OPTIONS"}) if allowed else []


def unmatched(message: str) -> NoReturn:
    """From a catch-all route: 405 with ``Allow`` when another route has this path for other
    methods, else 404 with ``message``."""
    allowed = allowed_methods()
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise NotFound(message)


def answer_options_exactly(bp: Blueprint) -> None:
    """Flask's automatic OPTIONS answer lists the catch-all's methods too: list only the
    methods the path's own routes answer."""

    def exact_allow(response: Response) -> Response:
        if request.method == "OPTIONS" and "Allow" in response.headers:
            allowed = allowed_methods()
            if allowed:
                response.headers["Allow"] = ", ".join(allowed)
        return response

    bp.after_request(exact_allow)


def error_headers(error: HTTPException) -> dict[str, str]:
    """The headers an HTTP error carries besides its body's type (``Allow`` of a 405)."""
    return {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
