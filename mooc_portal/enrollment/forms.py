"""Enrolment forms: the learner's actions, and the review pages' filters and decisions."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from mooc_portal.catalog.models import CourseRun
from mooc_portal.enrollment.models import STATE_LABELS, EnrollmentState
from mooc_portal.forms import IntegerField
from mooc_portal.i18n import country_choices
from mooc_portal.reference import ASEM_COUNTRIES


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token (enrol, withdraw, promote)."""


class ReviewFilterForm(FlaskForm):
    """The review pages' filters, read from the query string (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    # The choices are the courses and runs the reviewer has enrolments in
    # (:func:`name_review_choices`); their values stay the course's slug and the run's
    # identifier, so links that carry them keep working, and a value not offered (another
    # institution's course) is not refused here: it matches nothing the reviewer may see.
    course = SelectField(
        _l("Course"), validators=[Optional(), Length(max=120)], validate_choice=False
    )
    run = SelectField(_l("Run"), validators=[Optional(), Length(max=36)], validate_choice=False)
    state = SelectField(
        _l("State"),
        choices=[
            SelectChoice("", _l("Any state")),
            *(SelectChoice(s.value, STATE_LABELS[s]) for s in EnrollmentState),
        ],
        default="",
    )
    # A menu of the countries' names (:func:`name_review_choices`); a link may still carry a
    # lower-case code ("kr"), so the choice is not checked beyond its shape.
    country = SelectField(
        _l("Learner's country"),
        validators=[Optional(), Regexp(r"^[A-Za-z]{2}$", message=_l("Two letters, e.g. DE."))],
        validate_choice=False,
    )
    since = DateField(_l("Enrolled from"), validators=[Optional()])
    until = DateField(_l("Enrolled until"), validators=[Optional()])


def name_review_choices(form: ReviewFilterForm, runs: Iterable[CourseRun], language: str) -> None:
    """Offer the courses and runs of ``runs`` by their names in ``language`` (a run by its
    course's title and its start), in order of those names."""
    runs = list(runs)
    courses = {run.course.slug: run.course for run in runs}
    form.country.choices = [
        SelectChoice("", _l("Any country")),
        *(SelectChoice(code, name) for code, name in country_choices(ASEM_COUNTRIES, language)),
    ]
    if form.country.data:
        form.country.data = form.country.data.upper()
    form.course.choices = [
        SelectChoice("", _l("Any course")),
        *sorted(
            (
                SelectChoice(slug, f"{course.text('title', language).text} ({course.code})")
                for slug, course in courses.items()
            ),
            key=lambda choice: str(choice.label).casefold(),
        ),
    ]
    form.run.choices = [
        SelectChoice("", _l("Any run")),
        *(
            SelectChoice(
                str(run.uuid),
                _(
                    "%(course)s, starting %(date)s",
                    course=run.course.text("title", language).text,
                    date=format_date(run.start_at, "medium"),
                )
                if run.start_at
                else _(
                    "%(course)s, date to be set", course=run.course.text("title", language).text
                ),
            )
            for run in sorted(
                runs,
                key=lambda r: (
                    r.course.text("title", language).text.casefold(),
                    r.start_at is None,
                    r.start_at.isoformat() if r.start_at else "",
                ),
            )
        ),
    ]


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
