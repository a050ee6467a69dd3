"""Privacy forms: acknowledging the notice, sharing choices, deleting the account, the notice."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from mooc_portal.i18n import language_name


class AcknowledgeForm(FlaskForm):
    """ "I have read it": only the CSRF token and where to go next."""

    next = StringField()


class SharingForm(FlaskForm):
    """The optional fields a learner agrees to share with a partner institution (opt-in)."""

    country = BooleanField(_l("My country"))
    progress = BooleanField(_l("My progress (lessons completed, last activity)"))
    completion = BooleanField(_l("Whether I completed the course"))


class DataDownloadForm(FlaskForm):
    """Ask for one's data as a file prepared in the background (a CSRF token, nothing else)."""


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your password"), validators=[InputRequired(_l("Enter your password."))]
    )
    certificates = RadioField(
        _l("Your certificates"),
        choices=[
            SelectChoice("keep", _l("Keep them verifiable under the name printed on them")),
            SelectChoice("revoke", _l("Revoke them; the verification page shows no name")),
        ],
        default="revoke",
        validators=[InputRequired(_l("Choose what happens to your certificates."))],
    )
    confirm = BooleanField(
        _l("I understand that this cannot be undone."),
        validators=[DataRequired(_l("Tick this box to delete your account."))],
    )


class NoticeForm(FlaskForm):
    """A new version of the privacy notice; one body field per interface language
    (``body_en``, ``body_ko`` ...), added by :func:`notice_form`."""

    changes = StringField(_l("What changed (shown to learners)"), validators=[Length(max=300)])

    def bodies(self) -> list[Any]:
        return [self[f"body_{code}"] for code in current_app.config["MOOC_LANGUAGES"]]


def notice_form(**kwargs: Any) -> NoticeForm:
    """The notice form with a Markdown body field for each interface language."""

    from flask_babel import gettext as _

    from mooc_portal.web import current_language

    class Form(NoticeForm):
        pass

    for code in current_app.config["MOOC_LANGUAGES"]:
        setattr(
            Form,
            f"body_{code}",
            TextAreaField(
                _(
                    "Notice in %(language)s (Markdown)",
                    language=language_name(code, current_language()),
                ),
                validators=[Length(max=50_000)],
            ),
        )
    return Form(**kwargs)
