"""Enrolment forms: the learner's actions, and the review pages' filters and decisions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from mooc_portal.enrollment.models import STATE_LABELS, EnrollmentState


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token (enrol, withdraw, promote)."""


class ReviewFilterForm(FlaskForm):
    """The review pages' filters, read from the query string (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    course = StringField(_l("Course (slug)"), validators=[Optional(), Length(max=120)])
    run = StringField(_l("Run (identifier)"), validators=[Optional(), Length(max=36)])
    state = SelectField(
        _l("State"),
        choices=[
            SelectChoice("", _l("Any state")),
            *(SelectChoice(s.value, STATE_LABELS[s]) for s in EnrollmentState),
        ],
        default="",
    )
    country = StringField(
        _l("Learner's country (ISO code)"),
        validators=[Optional(), Regexp(r"^[A-Za-z]{2}$", message=_l("Two letters, e.g. DE."))],
    )
    since = DateField(_l("Enrolled from"), validators=[Optional()])
    until = DateField(_l("Enrolled until"), validators=[Optional()])


class DecisionForm(FlaskForm):
    """Approve or reject the enrolments ticked on the review page."""

    enrollments = SelectMultipleField(_l("Enrolments"), validate_choice=False)
    decision = SelectField(
        _l("Decision"),
        choices=[SelectChoice("approve", _l("Approve")), SelectChoice("reject", _l("Reject"))],
        validators=[InputRequired()],
    )
    reason = TextAreaField(_l("Reason (required to reject)"), validators=[Length(max=2000)])
    next = StringField()


class CapacityForm(FlaskForm):
    """A run's capacity; empty means unlimited."""

    capacity = IntegerField(
        _l("Capacity"), validators=[Optional(), NumberRange(min=0, max=1_000_000)]
    )
    next = StringField()
