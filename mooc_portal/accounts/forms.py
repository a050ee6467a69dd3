"""Account forms. Choices that depend on the visitor's language are filled in at construction."""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import get_timezone, get_timezone_location
from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from mooc_portal.accounts.services import check_password_strength
from mooc_portal.errors import InvalidInput
from mooc_portal.i18n import country_choices, language_name
from mooc_portal.reference import ASEM_COUNTRIES


def _country_choices(locale: str) -> list[tuple[str, str | LazyString]]:
    return [("", _l("Prefer not to say")), *country_choices(ASEM_COUNTRIES, locale)]


def strong_enough(_form: Any, field: Any) -> None:
    """WTForms validator: the password rule of ``check_password_strength``, shown at the field
    together with the form's other errors (not only after the form's own checks pass)."""
    try:
        check_password_strength(field.data or "")
    except InvalidInput as error:
        raise ValidationError(error.message) from error


def _language_choices(locale: str) -> list[tuple[str, str]]:
    return [(code, language_name(code, locale)) for code in current_app.config["MOOC_LANGUAGES"]]


@cache
def _timezone_labels(locale: str) -> tuple[tuple[str, str], ...]:
    """Every IANA zone with a readable name in ``locale`` ("서울 (대한민국)"), sorted by name.

    Computed once per locale. A name several zones share (old aliases such as
    ``Asia/Chongqing`` of Shanghai) carries the zone's id, so every option stays distinct.
    """
    try:
        where = Locale.parse(locale, sep="-")
    except (UnknownLocaleError, ValueError):
        where = Locale("en")
    aliases = get_global("zone_aliases")
    territories = get_global("zone_territories")
    labels: dict[str, str] = {}
    for zone in (z for z in available_timezones() if "/" in z or z == "UTC"):
        if zone == "UTC" or zone.startswith("Etc/"):
            labels[zone] = zone
            continue
        city = get_timezone_location(get_timezone(zone), where, return_city=True)
        territory = territories.get(aliases.get(zone, zone))
        country = where.territories.get(territory) if territory else None
        labels[zone] = f"{city} ({country})" if country else city
    shared = Counter(labels.values())
    for zone, label in labels.items():
        if shared[label] > 1:
            labels[zone] = f"{label} \u2013 {zone}"
    return tuple(sorted(labels.items(), key=lambda item: (item[1].casefold(), item[0])))


def _timezone_choices(locale: str) -> list[tuple[str, str | LazyString]]:
    return [("", _l("As reported by my browser")), *_timezone_labels(locale)]


def _current_locale() -> str:
    from mooc_portal.web import current_language

    return current_language()


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me logged in on this device"))


class PasswordPairMixin:
    password = PasswordField(_l("New password"), validators=[DataRequired(), strong_enough])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class RegisterForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), strong_enough])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    country = SelectField(_l("Country (optional)"), validators=[Optional()])
    preferred_language = SelectField(_l("Preferred language"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = _current_locale()
        self.country.choices = _country_choices(locale)
        self.preferred_language.choices = _language_choices(locale)


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    country = SelectField(_l("Country (optional)"), validators=[Optional()])
    preferred_language = SelectField(_l("Preferred language"))
    timezone = SelectField(_l("Time zone"), validators=[Optional()])
    current_password = PasswordField(_l("Current password"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = _current_locale()
        self.country.choices = _country_choices(locale)
        self.preferred_language.choices = _language_choices(locale)
        self.timezone.choices = _timezone_choices(locale)


class ChangePasswordForm(PasswordPairMixin, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email()])


class ResetPasswordForm(PasswordPairMixin, FlaskForm):
    pass
