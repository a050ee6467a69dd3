"""The certificate forms: revoking a certificate (administrators)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason for revoking"), validators=[DataRequired(), Length(max=2000)])
    reason_public = BooleanField(
        _l("Show the reason publicly"),
        description=_l(
            "Unchecked, only the learner (by mail) and administrators see the reason; anyone "
            "who checks the certificate sees only that it was revoked, and when."
        ),
    )
