"""Forms of the administrators' pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import Optional

ENTITIES = [
    SelectChoice(value, label)
    for value, label in (
        ("", _l("Anything")),
        ("course", _l("Courses")),
        ("course_translation", _l("Course texts")),
        ("run", _l("Runs")),
        ("module", _l("Outline modules")),
        ("lesson", _l("Outline lessons")),
        ("institution", _l("Institutions")),
        ("staff", _l("Staff")),
        ("import", _l("Imports")),
    )
]


class AuditFilterForm(FlaskForm):
    """Filters of the audit log (a GET form: no CSRF token needed, nothing changes)."""

    class Meta:
        csrf = False

    entity = SelectField(_l("What"), choices=ENTITIES, validators=[Optional()])
    action = StringField(_l("Action"), validators=[Optional()])
    actor = EmailField(_l("Who (e-mail)"), validators=[Optional()])
    # Offered by name (the view fills the choices); the address carries the slug.
    institution = SelectField(_l("Institution"), validators=[Optional()], validate_choice=False)
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])
