"""Forms of the federation pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import URL, DataRequired, Length


class PeerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    base_url = StringField(
        _l("Base URL"),
        validators=[DataRequired(), URL(require_tld=False), Length(max=300)],
        description=_l("Where the peer portal is served, e.g. https://mooc.example.org"),
    )
    enabled = BooleanField(_l("Harvest this peer"), default=True)


class ApiTokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("What uses it, e.g. “Moodle catalog sync”"),
    )
