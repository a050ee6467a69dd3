"""Domain errors that services raise and views turn into messages and status codes."""


class PortalError(Exception):
    """Base of every domain error; ``status`` is the HTTP status a view answers with."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotPermitted(PortalError):
    status = 403


class NotFound(PortalError):
    status = 404


class InvalidInput(PortalError):
    status = 400


class Unprocessable(InvalidInput):
    """Well-formed input (it passes the documented schema) that a rule across its values, or
    with stored data, refuses: dates out of order, an institution the portal does not have
    (HTTP 422)."""

    status = 422


class Conflict(PortalError):
    status = 409


class TooManyAttempts(PortalError):
    status = 429
