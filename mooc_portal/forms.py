"""What every HTML form of the portal does the same way: show a service's error on the form,
and answer with the right status.

A view with a form reads::

    form = InstitutionForm()
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            staff.update_institution(actor, institution, institution_data(form))
            flash(_("The institution is saved."), "success")
            return redirect(url_for(".institutions"))
    return render_template("...", form=form), form_status(form)

- :func:`service_errors_shown_on`: a :class:`~mooc_portal.errors.PortalError` raised in the
  block is shown on the form (at the field it names, else above the form) and the view goes on
  to render the form again. Whether the actor may use the page at all is checked before the
  form (a decorator, or the service that loads the page's object), so those refusals reach the
  error page.
- :func:`form_status`: 200 for a form shown for the first time, 400 for a submission shown
  again with its errors; 429 when the error shown says to wait (too many attempts).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import wtforms
from flask import abort, request
from flask_wtf import FlaskForm
from wtforms.validators import StopValidation

from mooc_portal.errors import PortalError
from mooc_portal.transaction import no_commit

NOT_A_DECIMAL = "Not a valid decimal value."
"""WTForms' own message, translated by its own catalogues (Flask-WTF's i18n), as its field's."""


class _PortalNumber:
    """What every number field of the portal does the same way.

    - Empty input, or only spaces, is no number (``None``), as an optional field's ``Optional()``
      expects: WTForms' own fields call an empty box "Not a valid decimal value", so a partner
      could not save a course without ECTS credits. A required field says so through its
      ``DataRequired()``.
    - Text that is not a number says only that: its other checks (a range, say) would see no
      value and add a second, misleading message ("Not a valid decimal value. Number must be
      at least 0.1.").
    - A decimal must be finite: "NaN" and "Infinity" are not amounts of anything.
    """

    data: Any
    process_errors: list[str]

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and isinstance(valuelist[0], str) and not valuelist[0].strip():
            self.data = None
            return
        super().process_formdata(valuelist)  # type: ignore[misc]
        if isinstance(self.data, Decimal) and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext(NOT_A_DECIMAL))  # type: ignore[attr-defined]

    def pre_validate(self, form: FlaskForm) -> None:
        if self.process_errors:
            raise StopValidation()


class DecimalField(_PortalNumber, wtforms.DecimalField):
    """The portal's decimal field (see :class:`_PortalNumber`)."""


class IntegerField(_PortalNumber, wtforms.IntegerField):
    """The portal's whole-number field (see :class:`_PortalNumber`)."""


_STATUS = "mooc_service_error_status"
WAIT = 429
"""The one service-error status a form page answers with (else 400): the visitor must wait."""


def show_service_error(form: FlaskForm, error: PortalError) -> int:
    """Show a service's error at the field it names, else above the form; its status. Nothing
    of the refused attempt is committed (:func:`mooc_portal.transaction.no_commit`)."""
    no_commit()
    target = getattr(form, error.field, None) if error.field else None
    if target is not None and hasattr(target, "errors"):
        # WTForms leaves a field's errors a tuple until the field has been validated.
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)
    setattr(form, _STATUS, error.status)
    return error.status


@contextmanager
def service_errors_shown_on(
    form: FlaskForm, kinds: tuple[type[PortalError], ...] = (PortalError,)
) -> Iterator[None]:
    """Show a PortalError raised in the block on ``form`` (:func:`show_service_error`); with
    ``kinds``, only those (a page whose service also decides who may act lets a refusal
    reach the error page)."""
    try:
        yield
    except kinds as error:
        show_service_error(form, error)


def shown_error_status(form: FlaskForm) -> int | None:
    """The status of the service error shown on ``form``, if one is."""
    return getattr(form, _STATUS, None)


def form_status(form: FlaskForm) -> int:
    """200 for a form shown for the first time; 400 for a submission shown again (429 when the
    error shown is too many attempts)."""
    if not form.is_submitted():
        return 200
    return WAIT if getattr(form, _STATUS, None) == WAIT else 400


def language_version_form(
    form_class: type[FlaskForm], versions: Iterable[Any], language: str | None
) -> Any:
    """The form for one language's version of a text (a course's translation, an
    institution's name): ``language`` None adds one; else that version, or 404 when there is
    none. An edited version's form shows it (on GET) and its language cannot be changed: the
    address says which version it is."""
    version = None
    if language is not None:
        version = next((v for v in versions if v.language == language), None)
        if version is None:
            abort(404)
    form = form_class(obj=version if request.method == "GET" else None)
    if version is not None:
        form.language.data = language
        form.language.render_kw = {"disabled": True}
    return form
