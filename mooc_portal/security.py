"""Request and response rules that hold for every page and API of the portal.

- Input no column can store is refused before any view runs: a NUL character anywhere in the
  path, the query string, a form or a JSON body (PostgreSQL text cannot hold one; the driver
  would fail with a 500), and JSON nested deeper than :data:`MAX_JSON_DEPTH` (Python's parser
  would hit its recursion limit). The answer is a 400 naming the field, as JSON on the APIs.
- Every response carries the Content Security Policy, ``nosniff`` and the referrer policy, also
  error pages for URLs no view matched.
- Pages with personal data (account, learning, enrolments, partner and admin areas) and CSV
  exports are never stored by a browser or proxy cache (``Cache-Control: no-store``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, current_app, request
from flask_babel import gettext as _

from mooc_portal.errors import InvalidInput
from mooc_portal.video import frame_origins

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# The write API's bodies are three levels deep (``{"title": {"en": "..."}}``); import files a
# few more. Deeper is an attack on the parser, not data.
MAX_JSON_DEPTH = 20
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# Blueprints (and single endpoints) whose pages show personal data: never cached.
PRIVATE_BLUEPRINTS = (
    "portal.accounts",
    "portal.admin",
    "portal.partner",
    "portal.enrollment",
    "portal.progress",
    "portal.xapi_partner",
    "portal.xapi_learner",
    "portal.insights",
)
PRIVATE_ENDPOINTS = frozenset(
    {
        "portal.federation.api_tokens",
        "portal.federation.revoke_api_token",
    }
)
# Public files under a private blueprint: images are cacheable.
PUBLIC_ENDPOINTS = frozenset({"portal.partner.course_image_file"})


class JsonTooDeep(ValueError):
    """A JSON document nested deeper than allowed."""


def load_json(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses documents nested deeper than ``max_depth`` (JsonTooDeep).

    Other parse errors stay ``ValueError`` (``json.JSONDecodeError``, ``UnicodeDecodeError``).
    Python's C parser recurses per level and stops with a RecursionError near a thousand
    levels; that, and anything deeper than the limit, is JsonTooDeep.
    """
    try:
        value = json.loads(data)
    except RecursionError:
        raise JsonTooDeep(max_depth) from None
    if json_depth(value) > max_depth:
        raise JsonTooDeep(max_depth)
    return value


def json_depth(value: Any) -> int:
    """How many arrays and objects deep ``value`` nests (walked without recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def find_nul(value: Any, path: str = "") -> str | None:
    """The path (``title.en``, ``items.2``) of the first key or text holding a NUL, else None."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where
        elif isinstance(item, dict):
            for key, child in item.items():
                sub = f"{where}.{key}" if where else str(key)
                if "\x00" in str(key):
                    return sub
                stack.append((child, sub))
        elif isinstance(item, list):
            stack.extend(
                (child, f"{where}.{n}" if where else str(n)) for n, child in enumerate(item)
            )
    return None


def _refuse_nul(field: str) -> None:
    raise InvalidInput(
        _("%(field)s contains a NUL character, which is not allowed.", field=field.strip(".")),
        field=field.split(".", 1)[0],
    )


def check_request() -> None:
    """Refuse (400) a request carrying what no column can store or no parser should meet.

    Runs before every portal view (a ``before_request`` of the portal's blueprint), so each
    domain's error handler answers in its own format: an error page, JSON on ``/api/v1``, a
    problem document on ``/ooapi/v5``.
    """
    if "\x00" in request.path:
        _refuse_nul(_("The address"))
    for name, values in request.args.lists():
        if "\x00" in name or any("\x00" in v for v in values):
            _refuse_nul(name)
    if "\x00" in request.headers.get("Authorization", ""):
        _refuse_nul("Authorization")
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if request.mimetype in FORM_TYPES:
        for name, values in request.form.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                _refuse_nul(name)
        return
    body = request.get_data(cache=True)
    if not body:
        return
    try:
        document = load_json(body)
    except JsonTooDeep:
        raise InvalidInput(
            _("The JSON is nested more than %(n)d levels deep.", n=MAX_JSON_DEPTH)
        ) from None
    except ValueError:
        return  # not JSON: the view says what it expects
    # In UTF-8 JSON a NUL can only come escaped (a raw control character does not parse):
    # without "\u0000" and without a NUL byte (UTF-16 or -32 JSON) there is none to look for,
    # and the walk is skipped (a batch of xAPI statements is large).
    if b"\\u0000" not in body and b"\x00" not in body:
        return
    where = find_nul(document)
    if where is not None:
        _refuse_nul(where or "body")


def _is_portal_request() -> bool:
    state = current_app.extensions.get("mooc_portal")
    if request.blueprints and request.blueprints[-1] == "portal":
        return True
    if state is None:
        return False
    if state.extras.get("standalone"):
        return True  # the whole application is the portal: its 404s and static files too
    prefix = (state.extras.get("url_prefix") or "").rstrip("/")
    return bool(prefix) and (request.path == prefix or request.path.startswith(prefix + "/"))


def is_private_page() -> bool:
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS:
        return False
    return endpoint in PRIVATE_ENDPOINTS or any(
        endpoint.startswith(blueprint + ".") for blueprint in PRIVATE_BLUEPRINTS
    )


def content_security_policy(peertube_instances: Iterable[str]) -> str:
    """The portal's CSP: no inline script or style; frames only from the video providers that
    lessons embed (:func:`mooc_portal.video.frame_origins`)."""
    return f"{CONTENT_SECURITY_POLICY}; frame-src {' '.join(frame_origins(peertube_instances))}"


def response_headers(response: Response) -> Response:
    """The security headers on every portal response; ``no-store`` on personal data."""
    if not _is_portal_request():
        return response
    response.headers.setdefault(
        "Content-Security-Policy",
        content_security_policy(current_app.config["MOOC_PEERTUBE_INSTANCES"]),
    )
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if is_private_page() or response.mimetype == "text/csv":
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("ETag", None)
        response.headers.pop("Last-Modified", None)
    return response


def install(app: Flask) -> None:
    """Add the response rules to ``app`` (the request check is the portal blueprint's)."""
    app.after_request(response_headers)
