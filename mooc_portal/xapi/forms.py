"""Forms of the xAPI pages in the partner area and on My learning."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length


class CredentialForm(FlaskForm):
    name = StringField(
        _l("Client name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("The platform that sends statements, e.g. “Open edX (courses.example.org)”"),
    )


class MappingForm(FlaskForm):
    activity_id = StringField(
        _l("Activity IRI on your platform"),
        validators=[DataRequired(), Length(max=2048)],
        description=_l("e.g. https://courses.example.org/courses/course-v1:ASEM+OCN101+2026"),
    )
    lesson_id = SelectField(_l("Stands for"), coerce=str, default="")


class PlatformAccountForm(FlaskForm):
    home_page = StringField(
        _l("Platform address"),
        validators=[DataRequired(), Length(max=2048)],
        description=_l("The home page of the platform, e.g. https://courses.example.org"),
    )
    name = StringField(
        _l("Your user name or id there"),
        validators=[DataRequired(), Length(max=255)],
    )
