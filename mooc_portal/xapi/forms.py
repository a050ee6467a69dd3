"""Forms of the xAPI pages in the partner area and on My learning."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class CredentialForm(FlaskForm):
    name = StringField(
        _l("Client name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("The platform that sends statements, e.g. “Open edX (courses.example.org)”"),
    )
