"""Forms of the partner pages (Flask-WTF: every form carries its CSRF token)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_name
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from mooc_portal.accounts.forms import strong_enough
from mooc_portal.catalog.models import Assessment, Credential, DeliveryMode, Level, Pace
from mooc_portal.catalog.outline import LessonKind
from mooc_portal.forms import DecimalField, IntegerField
from mooc_portal.i18n import country_choices, language_name
from mooc_portal.institutions.models import InstitutionKind
from mooc_portal.publishing.validation import TEXT_LIMITS
from mooc_portal.reference import ASEM_COUNTRIES, ISCED_F, subject_label


def choices(*pairs: tuple[str, object]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


LEVELS = choices(
    (Level.INTRODUCTORY.value, _l("Introductory")),
    (Level.INTERMEDIATE.value, _l("Intermediate")),
    (Level.ADVANCED.value, _l("Advanced")),
)
PACES = choices(
    (Pace.INSTRUCTOR_LED.value, _l("Instructor-led")),
    (Pace.SELF_PACED.value, _l("Self-paced")),
)
CREDENTIALS = choices(
    (Credential.NONE.value, _l("None")),
    (Credential.CERTIFICATE.value, _l("Certificate of completion")),
    (Credential.ECTS.value, _l("ECTS credits")),
)
DELIVERY_MODES = choices(
    (DeliveryMode.ONLINE.value, _l("Online")),
    (DeliveryMode.BLENDED.value, _l("Blended")),
)
LESSON_KINDS = choices(
    (LessonKind.VIDEO.value, _l("Video")),
    (LessonKind.READING.value, _l("Reading")),
    (LessonKind.QUIZ.value, _l("Quiz")),
    (LessonKind.ASSIGNMENT.value, _l("Assignment")),
    (LessonKind.EXTERNAL.value, _l("External activity")),
)
ROLE_NAMES = {"editor": _l("Editor"), "manager": _l("Manager")}
"""A staff role as the staff table names it."""

ROLES = choices(
    ("editor", _l("Editor: edits courses")),
    ("manager", _l("Manager: also staff and profile")),
)


def attach_field_errors(form: FlaskForm, errors: list[tuple[str, str]]) -> None:
    """Show every (field, message) a service's validation found, each at its field, beside
    what the form's own validators found (a field that has a message already keeps it alone),
    so that a form shows all its problems at once, not one stage after another."""
    for name, message in errors:
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            if not isinstance(target.errors, list):
                target.errors = list(target.errors)
            if not target.errors:
                target.errors.append(message)
        elif message not in form.form_errors:
            form.form_errors.append(message)


def split_tags(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").replace(";", ",").split(",") if part.strip()]


def as_utc(value: datetime | None, zone: str = "UTC") -> datetime | None:
    """A date and time a person entered in ``zone`` (naive, from the form), in UTC.

    A time that does not exist in the zone (the hour skipped when summer time begins) is read
    as the zone's offset before the change; a repeated one as its first occurrence.
    """
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def as_local(value: datetime | None, zone: str = "UTC") -> datetime | None:
    """A stored UTC date and time as the naive local time a form in ``zone`` shows."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


# Languages a course is commonly taught or subtitled in: those of the ASEM countries, and a few
# more learners ask for. A course's own tags outside the list are offered too.
COURSE_LANGUAGES = (
    "ar", "bg", "bn", "cs", "da", "de", "el", "en", "es", "et", "fi", "fil", "fr", "ga", "hi",
    "hr", "hu", "id", "is", "it", "ja", "kk", "km", "ko", "lo", "lt", "lv", "mn", "ms", "mt",
    "my", "nb", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "th", "tr", "uk", "ur", "vi",
    "zh", "zh-Hans", "zh-Hant",
)  # fmt: skip


def language_choices(language: str, extra: list[str] | tuple[str, ...] = ()) -> list[SelectChoice]:
    """The course languages (and ``extra`` tags) named in ``language``, sorted by name; a tag
    Babel cannot name is shown as typed."""
    tags = list(dict.fromkeys([*COURSE_LANGUAGES, *(t for t in extra if t)]))
    named = [(tag, language_name(tag, language)) for tag in tags]
    named.sort(key=lambda pair: unicodedata.normalize("NFKD", pair[1]).casefold())
    return [SelectChoice(tag, f"{name} ({tag})") for tag, name in named]


def _visitor_language() -> str:
    from mooc_portal.web import current_language

    return current_language()


class LanguageField(SelectField):
    """One language, chosen by its name; posts its tag. Any posted tag reaches the services'
    validation (which says what is wrong at the field), and is offered back as it was."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)

    def iter_choices(self) -> Any:
        current = [self.data] if isinstance(self.data, str) and self.data else []
        self.choices = language_choices(_visitor_language(), current)
        return super().iter_choices()


class LanguageTagsField(SelectMultipleField):
    """Several languages, ticked by their names; posts their tags. A comma-separated list in
    one value ("en, ko", as the import and older clients send) is read as its tags."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = [tag for value in valuelist for tag in split_tags(value)]

    def process_data(self, value: Any) -> None:
        self.data = split_tags(value) if isinstance(value, str) else list(value or [])

    def iter_choices(self) -> Any:
        self.choices = language_choices(_visitor_language(), list(self.data or []))
        return super().iter_choices()


class SubjectsField(SelectMultipleField):
    """ISCED-F subject areas as a list of checkboxes: ``static/js/portal.js`` adds a box that
    narrows the list to the areas whose name or code contains what is typed."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CourseForm(FlaskForm):
    code = StringField(
        _l("Course code"), validators=[DataRequired(), Length(max=TEXT_LIMITS["code"])]
    )
    slug = StringField(
        _l("Web address name"),
        validators=[Optional(), Length(max=120)],
        description=_l(
            "The end of the course page's address, in any script (e.g. data-science or "
            "한국사-입문). Made from the title when left empty; it can change until the course "
            "is first published."
        ),
    )
    level = SelectField(_l("Level"), choices=LEVELS)
    pace = SelectField(_l("Pace"), choices=PACES)
    effort_hours = DecimalField(
        _l("Effort (hours per week)"), places=1, validators=[Optional(), NumberRange(min=0.1)]
    )
    length_weeks = IntegerField(_l("Length (weeks)"), validators=[Optional(), NumberRange(min=1)])
    credential = SelectField(_l("Credential offered"), choices=CREDENTIALS)
    ects_credits = DecimalField(
        _l("ECTS credits"), places=1, validators=[Optional(), NumberRange(min=0.1)]
    )
    teaching_languages = LanguageTagsField(
        _l("Teaching languages"),
        validators=[DataRequired(message=_l("Choose at least one language."))],
    )
    subtitle_languages = LanguageTagsField(_l("Subtitle languages"), validators=[Optional()])
    subjects = SubjectsField(
        _l("Subject areas (ISCED-F 2013)"),
        choices=lambda: [SelectChoice(code, f"{code} {subject_label(code)}") for code in ISCED_F],
    )
    accessibility_statement = TextAreaField(
        _l("Accessibility statement for the course materials"),
        validators=[Optional(), Length(max=TEXT_LIMITS["accessibility_statement"])],
    )


class NewCourseForm(CourseForm):
    original_language = LanguageField(
        _l("Original language"), default="en", validators=[DataRequired()]
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TEXT_LIMITS["title"])])
    summary = TextAreaField(
        _l("Summary"), validators=[Optional(), Length(max=TEXT_LIMITS["summary"])]
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=TEXT_LIMITS["description"])],
        description=_l("Plain text; line breaks are kept."),
    )
    learning_outcomes = TextAreaField(
        _l("Learning outcomes"),
        validators=[Optional(), Length(max=TEXT_LIMITS["learning_outcomes"])],
    )


class EditCourseForm(CourseForm):
    original_language = SelectField(_l("Original language"), choices=[])


class TranslationForm(FlaskForm):
    language = LanguageField(_l("Language"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TEXT_LIMITS["title"])])
    summary = TextAreaField(
        _l("Summary"), validators=[Optional(), Length(max=TEXT_LIMITS["summary"])]
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=TEXT_LIMITS["description"])],
        description=_l("Plain text; line breaks are kept."),
    )
    learning_outcomes = TextAreaField(
        _l("Learning outcomes"),
        validators=[Optional(), Length(max=TEXT_LIMITS["learning_outcomes"])],
    )


def zone_name(zone: str) -> str:
    """A time zone as people know it in the visitor's language, with its identifier:
    "Korean Time (Asia/Seoul)"; "UTC" alone."""
    if zone in ("UTC", "Etc/UTC"):
        return "UTC"
    try:
        name = get_timezone_name(ZoneInfo(zone), locale=_visitor_language())
    except (LookupError, ValueError):
        return zone
    return f"{name} ({zone})"


def zone_description(zone: str) -> str:
    return str(_("Time zone: %(zone)s", zone=zone_name(zone)))


def zone_intro(zone: str, *, from_profile: bool) -> str:
    """What the run form says about the zone its dates are in, and where it comes from."""
    if from_profile:
        return str(
            _(
                "Dates and times are in your profile's time zone, %(zone)s, and learners see "
                "them in their own.",
                zone=zone_name(zone),
            )
        )
    return str(
        _(
            "Dates and times are in %(zone)s, and learners see them in their own time zone. "
            "Choose your time zone in your profile to enter them in it.",
            zone=zone_name(zone),
        )
    )


RUN_DATES = ("start_at", "end_at", "enrollment_start_at", "enrollment_end_at")
# What a datetime-local input sends and shows ("2031-03-02T09:00"), then older spellings.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]


class RunForm(FlaskForm):
    """A run's dates are entered in the partner's time zone (``in_zone``) and stored in UTC."""

    start_at = DateTimeLocalField(_l("Starts"), validators=[Optional()], format=LOCAL_FORMATS)
    end_at = DateTimeLocalField(_l("Ends"), validators=[Optional()], format=LOCAL_FORMATS)
    enrollment_start_at = DateTimeLocalField(
        _l("Enrolment opens"), validators=[Optional()], format=LOCAL_FORMATS
    )
    enrollment_end_at = DateTimeLocalField(
        _l("Enrolment closes"), validators=[Optional()], format=LOCAL_FORMATS
    )
    capacity = IntegerField(_l("Capacity (empty: unlimited)"), validators=[Optional()])
    requires_approval = BooleanField(_l("Enrolment needs approval"))
    delivery_mode = SelectField(_l("Delivery mode"), choices=DELIVERY_MODES)


class ActionForm(FlaskForm):
    """A workflow move, with an optional comment."""

    action = HiddenField(validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])


class ConfirmForm(FlaskForm):
    """A button that changes state (cancel, remove, move): only the CSRF token."""


class ModuleForm(FlaskForm):
    title = StringField(_l("Module title"), validators=[DataRequired(), Length(max=200)])


class LessonForm(FlaskForm):
    title = StringField(_l("Lesson title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=LESSON_KINDS)
    minutes = IntegerField(
        _l("Estimated minutes"), validators=[Optional(), NumberRange(min=0, max=100000)]
    )
    counts_toward_completion = BooleanField(_l("Counts toward completion"), default=True)
    content = TextAreaField(_l("Content (Markdown)"), validators=[Optional(), Length(max=100000)])
    external_url = URLField(_l("External web address"), validators=[Optional(), Length(max=500)])
    video_url = URLField(
        _l("Video address (YouTube, Vimeo or PeerTube)"),
        validators=[Optional(), Length(max=500)],
        description=_l("The video plays in the lesson page, in privacy-enhanced mode."),
    )
    transcript = TextAreaField(
        _l("Transcript of the video"),
        validators=[Optional(), Length(max=100000)],
        description=_l("Shown under the video, for learners who cannot or prefer not to listen."),
    )


class ModuleTranslationForm(FlaskForm):
    title = StringField(_l("Module title"), validators=[DataRequired(), Length(max=200)])


class LessonTranslationForm(FlaskForm):
    title = StringField(_l("Lesson title"), validators=[DataRequired(), Length(max=200)])
    content = TextAreaField(_l("Content (Markdown)"), validators=[Optional(), Length(max=100000)])
    transcript = TextAreaField(
        _l("Transcript of the video"),
        validators=[Optional(), Length(max=100000)],
        description=_l("Shown under the video, for learners who cannot or prefer not to listen."),
    )


class ImageForm(FlaskForm):
    image = FileField(_l("Course image (PNG, JPEG or WebP)"))
    image_alt = StringField(
        _l("What the picture shows (text alternative)"),
        validators=[Optional(), Length(max=300)],
        description=_l(
            "Said to learners who cannot see the picture. Left empty, the course's title is said."
        ),
    )


class LogoForm(FlaskForm):
    image = FileField(_l("Logo (PNG, JPEG or WebP)"), validators=[FileRequired()])


INSTITUTION_KINDS = choices(
    (InstitutionKind.UNIVERSITY.value, _l("University or college")),
    (InstitutionKind.VOCATIONAL.value, _l("Vocational education and training institution")),
    (InstitutionKind.COMPANY.value, _l("Company")),
    (InstitutionKind.ASSOCIATION.value, _l("Association")),
    (InstitutionKind.OTHER.value, _l("Other organisation")),
)


class InstitutionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(_l("Short name"), validators=[Optional(), Length(max=40)])
    country = SelectField(_l("Country"))
    kind = SelectField(
        _l("Kind of organisation"),
        choices=INSTITUTION_KINDS,
        default=InstitutionKind.UNIVERSITY.value,
    )
    original_language = LanguageField(
        _l("Original language"), default="en", validators=[DataRequired()]
    )
    website = URLField(_l("Website"), validators=[Optional(), Length(max=300)])
    contact_email = EmailField(
        _l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices(ASEM_COUNTRIES, str(get_locale() or "en"))


class InstitutionNameForm(FlaskForm):
    """The institution's name in one more language (InstitutionTranslation)."""

    language = LanguageField(_l("Language"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(_l("Short name"), validators=[Optional(), Length(max=40)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])


class NewInstitutionForm(InstitutionForm):
    slug = StringField(_l("Web address name (slug)"), validators=[Optional(), Length(max=80)])


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLES)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLES)


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), strong_enough])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or JSON file"), validators=[FileRequired()])
    apply = BooleanField(_l("Apply the changes (leave unticked for a dry run)"))


ASSESSMENTS = choices(
    (Assessment.NONE.value, _l("No assessment")),
    (Assessment.AUTOMATED.value, _l("Automated (quizzes, graded assignments)")),
    (Assessment.PROCTORED.value, _l("Online with a proctor")),
    (Assessment.SUPERVISED_ON_SITE.value, _l("Supervised on site")),
)


class RecognitionForm(FlaskForm):
    """A course's recognition details and audience marks (``publishing.recognition``)."""

    workload_hours = DecimalField(
        _l("Workload (hours in total)"),
        places=1,
        validators=[Optional(), NumberRange(min=0.1, max=10000)],
        description=_l("All the learning time the course asks for, study and assessment."),
    )
    eqf_level = IntegerField(
        _l("EQF level (1-8)"),
        validators=[Optional(), NumberRange(min=1, max=8)],
        description=_l("The level of the European Qualifications Framework."),
    )
    national_framework = StringField(
        _l("National qualifications framework and level"),
        validators=[Optional(), Length(max=200)],
        description=_l("E.g. Korean Qualifications Framework, level 6."),
    )
    assessment = SelectField(_l("Form of assessment"), choices=ASSESSMENTS)
    identity_check = BooleanField(_l("The learner's identity is checked at the assessment"))
    quality_assurance = StringField(
        _l("Quality assured by"),
        validators=[Optional(), Length(max=200)],
        description=_l("The body that reviewed the course, e.g. a national quality agency."),
    )
    prerequisites = TextAreaField(_l("Prerequisites"), validators=[Optional(), Length(max=5000)])
    stackable = BooleanField(_l("The credential counts toward a larger one (stackable)"))
    tvet = BooleanField(_l("Technical and vocational education and training (TVET)"))
    lifelong_learning = BooleanField(_l("Made for lifelong learners"))
    with_industry = BooleanField(_l("Made with industry partners"))
