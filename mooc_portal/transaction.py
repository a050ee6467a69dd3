"""One commit per request, at its end: unless the view raised, or said it must not commit.

Services flush; nothing in a request commits but :func:`end_request`, the portal blueprint's
``after_request``. It commits (through :func:`mooc_portal.resilience.commit_request`, which
answers 503 when the connection dies at the commit) unless

- the view, or a check the portal runs before it, raised: whatever the error handler renders
  (a 404 page, a 403, the API's JSON error, a 500), what was flushed is rolled back;
- the view called :func:`no_commit`: a form shown again because a service refused the change
  (:func:`mooc_portal.partner.forms.attach_error` does it) keeps nothing of the attempt.

The response's status plays no part: a failed log-in answers 200 and its recorded attempt is
committed, because the view returned normally.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, g

from mooc_portal.db import session as db_session
from mooc_portal.resilience import commit_request

_RAISED = "mooc_view_raised"
_NO_COMMIT = "mooc_no_commit"
_MARKER = "_mooc_notes_errors"


def no_commit() -> None:
    """This request's writes are rolled back after the response instead of committed."""
    g.setdefault(_NO_COMMIT, True)


def view_raised() -> bool:
    """Whether this request's view (or a check before it) raised."""
    return bool(g.get(_RAISED, False))


def end_request(response: Any) -> Any:
    """The portal blueprint's ``after_request``: commit, or roll back (see the module)."""
    if view_raised() or g.get(_NO_COMMIT, False):
        db_session.rollback()
        return response
    return commit_request(response)


def _noting_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(function, _MARKER, False):
        return function

    @wraps(function)
    def noted(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except BaseException:
            g.setdefault(_RAISED, True)
            raise

    setattr(noted, _MARKER, True)
    return noted


def install_request_transaction(app: Flask, blueprint: str = "portal") -> None:
    """Note when the views and ``before_request`` checks of ``blueprint`` and the blueprints
    nested in it raise (``init_app`` calls it once the blueprint is registered)."""
    ours = (blueprint, f"{blueprint}.")
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith(ours[1]):
            app.view_functions[endpoint] = _noting_errors(view)
    for name, functions in app.before_request_funcs.items():
        if name is not None and (name == ours[0] or name.startswith(ours[1])):
            functions[:] = [_noting_errors(function) for function in functions]
