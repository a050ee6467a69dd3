"""Pages that belong to no single domain: the home page, the language switch, error pages."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.globals import request_ctx
from flask_babel import format_datetime, format_decimal, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, validate_csrf
from markupsafe import Markup
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from wtforms.validators import ValidationError

from mooc_portal.accounts.services import current_account
from mooc_portal.caching import cached_page, page_csrf_token
from mooc_portal.db import session as db_session
from mooc_portal.errors import PortalError
from mooc_portal.i18n import (
    Localized,
    LocalizedText,
    country_name,
    language_name,
    own_language_name,
)
from mooc_portal.pagination import PageRequest, page_request
from mooc_portal.reference import subject_label
from mooc_portal.resilience import database_down, handle_database_error
from mooc_portal.transaction import end_request
from mooc_portal.urls import absolute_url, external_url

bp = Blueprint("web", __name__)


@bp.route("/")
def home() -> Any:
    """The home page; as JSON (``Accept``), the portal's Open Badges issuer ``Profile``: the
    ``url`` of its certificates' ``issuer`` dereferences to it, as the ``did:web`` ``id`` does
    to the DID document with its keys."""
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/ld+json", "application/json"]
    )
    if best in ("application/ld+json", "application/json"):
        from mooc_portal.certificates.services import issuer_profile
        from mooc_portal.openbadges import OB_CONTEXT

        response = current_app.json.response({"@context": OB_CONTEXT, **issuer_profile()})
        response.mimetype = best
        response.vary.add("Accept")
        return response
    response = make_response(_home_page())
    response.vary.add("Accept")
    return response


@cached_page()
def _home_page() -> str:
    from mooc_portal.catalog.services import catalog_figures, open_courses

    return render_template(
        "mooc_portal/web/home.html", figures=catalog_figures(), open_courses=open_courses(limit=6)
    )


@bp.route("/language", methods=["POST"])
def set_language() -> Any:
    """Remember the visitor's interface language and go back where they were.

    POST only, with a CSRF token: a link or an image elsewhere cannot change an account's
    saved language."""
    require_csrf()
    language = request.form.get("language", "")
    if language not in current_app.config["MOOC_LANGUAGES"]:
        abort(400)
    session["mooc_language"] = language
    account = current_account()
    if account is not None:
        account.preferred_language = language
    return redirect(safe_next_url(request.form.get("next")))


def require_csrf() -> None:
    """Refuse (400) a state-changing request without a valid CSRF token.

    For POSTs that carry no WTForms form; forms check their token with ``validate_on_submit``.
    """
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        raise CSRFError(str(exc)) from exc


def flash_undoable(text: str, undo_url: str) -> None:
    """Flash ``text`` with an Undo button that POSTs (with the CSRF token) to ``undo_url``;
    base.html renders such a ``{"text", "undo"}`` message (the session keeps it as JSON)."""
    flash({"text": text, "undo": undo_url}, "success")  # type: ignore[arg-type]


def safe_next_url(target: str | None, default_endpoint: str = "portal.web.home") -> str:
    """``target`` when it is a path on this site, else the default page (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for(default_endpoint)


bp.add_app_template_global(external_url, "mooc_external_url")
bp.add_app_template_global(absolute_url, "mooc_absolute_url")


def list_page_request(
    prefix: str = "", *, default_size: int | None = None, args: Mapping[str, str] | None = None
) -> PageRequest:
    """The page of a list the query string (or ``args``) asks for (``?page=``, ``?size=``), of
    ``default_size`` rows unless asked (``MOOC_LIST_PAGE_SIZE`` when not given), bounded by
    ``MOOC_LIST_PAGE_SIZE_MAX``. A page with several lists gives each a ``prefix``
    (``?mail_page=``): paging one leaves the others where they are."""
    args = request.args if args is None else args
    return page_request(
        args.get(f"{prefix}page"),
        args.get(f"{prefix}size"),
        default_size=default_size or current_app.config["MOOC_LIST_PAGE_SIZE"],
        max_size=current_app.config["MOOC_LIST_PAGE_SIZE_MAX"],
        prefix=prefix,
    )


_SHOWN_AT = "mooc_shown_at"


def show_as_page_at(
    endpoint: str, args: MultiDict[str, str] | None = None, **view_args: Any
) -> str:
    """Answer this request with the page ``endpoint`` shows for the query ``args``: an action
    that only takes POSTs (a decision on the enrolment review, a staff member's role) and
    shows its list again with the refused submission gives the list's pager and language
    switch the list's address, not its own. Returns that address (path and query)."""
    g.setdefault(_SHOWN_AT, (endpoint, view_args, MultiDict() if args is None else args))
    return here()


@bp.app_template_global("mooc_here")
def here() -> str:
    """The address (path and query) of the page shown, to come back to: the request's own, or
    the one :func:`show_as_page_at` set."""
    shown = g.get(_SHOWN_AT)
    if shown is None:
        return request.full_path
    endpoint, view_args, args = shown
    return url_for(endpoint, **view_args, **args.to_dict(flat=False))


@bp.app_template_global("mooc_page_url")
def page_url(number: int, prefix: str = "") -> str:
    """This page's address with every query parameter kept and ``page`` (or the list's
    ``<prefix>page``) set to ``number``."""
    shown = g.get(_SHOWN_AT)
    if shown is None:
        endpoint, view_args, query = str(request.endpoint), request.view_args or {}, request.args
    else:
        endpoint, view_args, query = shown
    args: dict[str, Any] = query.to_dict(flat=False)
    args[f"{prefix}page"] = [str(number)]
    return url_for(endpoint, **view_args, **args)


@bp.app_template_global("mooc_logo_url")
def logo_url(institution: Any) -> str | None:
    """Where an institution's logo is served: an uploaded one from the media store (its
    smallest size), a path on this site as it is; None without one (or a logo elsewhere,
    which the CSP's img-src would refuse)."""
    from mooc_portal.publishing.media import IMAGE_WIDTHS, is_media_name

    logo = institution.logo
    if is_media_name(logo):
        path = url_for("portal.partner.course_image_file", name=logo)
        return f"{path}?w={IMAGE_WIDTHS[0]}"
    if logo and logo.startswith("/") and not logo.startswith("//"):
        return str(logo)
    return None


@bp.app_template_global("mooc_current_language")
def current_language() -> str:
    return str(get_locale() or current_app.config["MOOC_DEFAULT_LANGUAGE"])


def localized_text(obj: Localized, field: str) -> LocalizedText:
    return obj.text(field, current_language())


@bp.app_template_filter("mooc_language_name")
def language_name_filter(tag: str) -> str:
    return language_name(tag, current_language())


@bp.app_template_filter("mooc_number")
def number_filter(value: int | float) -> str:
    """A number as the visitor's language writes it (``12,345``, ``12.345``, ``12 345``)."""
    return format_decimal(value)


@bp.app_template_filter("mooc_initials")
def initials_filter(name: str) -> str:
    """What stands for an organisation without a logo: a short name as it is ("KAIST"), else
    the first letters of the first two capitalised words ("Université de Lyon" gives "UL"),
    or the first character of a name written without capitals or spaces ("서울대학교")."""
    words = name.split()
    if len(words) == 1 and len(name) <= 6:
        return name
    capitalised = [word for word in words if word[0].isupper()] or words
    return "".join(word[0] for word in capitalised[:2]).upper()


@bp.app_template_filter("mooc_own_language_name")
def own_language_name_filter(tag: str) -> str:
    return own_language_name(tag)


@bp.app_template_filter("mooc_markdown")
def markdown_filter(text: str | None) -> Any:
    """Markdown written by partner staff, as sanitised HTML; images only from the portal's own
    media, as this request sees its address."""
    from mooc_portal.publishing.outline import OwnMedia, render_markdown

    if not has_request_context():  # no address to trust: no image at all
        return render_markdown(text)
    media = OwnMedia(
        prefix=url_for("portal.partner.course_image_file", name="x")[:-1], host=request.host
    )
    return render_markdown(text, media)


@bp.app_template_filter("mooc_datetime_tz")
def datetime_tz_filter(value: datetime | None) -> str:
    """A date and time in the visitor's time zone: medium date, minutes, and the zone's name.

    Built from the locale's own patterns, so the order of the parts follows the language.
    """
    if value is None:
        return ""
    locale = get_locale()
    if locale is None:
        return format_datetime(value, "medium")
    # The zone's abbreviation ("UTC", "EST") where it has one, else its name ("Korean Standard
    # Time") rather than a bare offset such as "+0900".
    zone = "zzzz" if format_datetime(value, "z")[:1] in "+-" else "z"
    pattern = (
        str(locale.datetime_formats["medium"])
        .replace("{1}", locale.date_formats["medium"].pattern)
        .replace("{0}", f"{locale.time_formats['short'].pattern} {zone}")
    )
    return format_datetime(value, pattern)


@bp.app_template_filter("mooc_json")
def json_filter(value: Any) -> Markup:
    """A value as indented JSON for people to read, inside an element (``<pre>``), never an
    attribute: every script as itself rather than ``\\uXXXX``, with ``<``, ``>`` and ``&``
    escaped so it cannot become markup (``tojson`` is for JSON inside ``<script>``).
    """
    text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)
    return Markup(html.escape(text, quote=False))


@bp.app_template_filter("mooc_subject_label")
def subject_label_filter(code: str) -> str:
    """An ISCED-F code's label in the visitor's language."""
    return subject_label(code)


@bp.app_template_filter("mooc_country_name")
def country_name_filter(code: str) -> str:
    return country_name(code, current_language())


def portal_context() -> dict[str, Any]:
    return {
        # A page rendered because the database is out of reach is rendered without it.
        "current_account": None if database_down() else current_account(),
        "page_language": current_language(),
        "t": localized_text,
        "site_name": current_app.config["MOOC_SITE_NAME"],
        "interface_languages": current_app.config["MOOC_LANGUAGES"],
        "csrf_token": page_csrf_token,
    }


def render_error(
    status: int, message: str | None = None, *, expired_form: bool = False
) -> tuple[str, int]:
    """The error page: what happened (``message``, else what the status means) and the way on:
    back to the page the visitor came from (the form, when a form was sent), a search when a
    page is missing, the visitor's own pages."""
    titles = {
        400: _("The request could not be used"),
        403: _("Not allowed"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("This could not be done"),
        413: _("The file is too large"),
        422: _("Could not be processed"),
        429: _("Too many requests"),
        500: _("Something went wrong"),
        503: _("Temporarily unavailable"),
    }
    explanations = {
        400: _("Something in what was sent could not be used, so nothing was changed."),
        403: _("Your account may not open this page or do this."),
        404: _("There is nothing at this address. It may have moved, or the link may be wrong."),
        405: _("This address cannot be used in this way."),
        409: _(
            "Nothing was changed: the current state does not allow it (someone may have "
            "changed it meanwhile)."
        ),
        413: _("Nothing was changed. Choose a smaller file."),
        429: _("Wait a little, then try again."),
        500: _("Nothing was changed. The error has been recorded; please try again later."),
    }
    if expired_form:
        explanation = _(
            "The form had expired (it was open for a long time, or you logged in or out in "
            "another tab), so nothing was changed. Go back, reload the page and send it again."
        )
    else:
        explanation = explanations.get(status, "")
    return (
        render_template(
            "mooc_portal/errors/error.html",
            status=status,
            title=titles.get(status, _("Error")),
            message=message if message != explanation else None,
            explanation=explanation,
            back_url=_referrer_path(),
            sent_form=request.method not in ("GET", "HEAD"),
        ),
        status,
    )


def _referrer_path() -> str | None:
    """The page of this site the visitor came from (for a form: the form), unless it is the
    page that failed; else None."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.scheme not in ("http", "https"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if request.method in ("GET", "HEAD") and path == request.full_path.rstrip("?"):
        return None
    return path or "/"


def handle_http_error(error: HTTPException) -> Any:
    if error.code is None or error.code < 400:
        return error
    if request_ctx.url_adapter is None:
        # A host outside TRUSTED_HOSTS: no URL can be built, so the page cannot be rendered.
        return error
    # A 503 says why (see resilience.unavailable); other codes keep their generic text.
    return render_error(
        error.code,
        error.description if error.code == 503 else None,
        expired_form=error.code == 400 and _form_expired(error),
    )


def _form_expired(error: HTTPException) -> bool:
    """A refused form whose CSRF token no longer holds (views answer such a form with 400)."""
    if isinstance(error, CSRFError):
        return True
    if request.method != "POST":
        return False
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return True
    return False


def handle_portal_error(error: PortalError) -> Any:
    db_session.rollback()
    return render_error(error.status, error.message)


def install_page_handlers(portal: Blueprint) -> None:
    portal.context_processor(portal_context)
    portal.register_error_handler(PortalError, handle_portal_error)
    for code in (400, 403, 404, 405, 409, 413, 422, 429, 503):
        portal.register_error_handler(code, handle_http_error)
    for error in (OperationalError, PoolTimeoutError):
        portal.register_error_handler(error, handle_database_error)
    portal.after_request(end_request)


def install_app_error_pages(app: Flask) -> None:
    """Standalone only: the portal's error pages for URLs no view matched."""
    app.context_processor(portal_context)
    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, handle_http_error)
