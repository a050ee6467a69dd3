"""Marshmallow schemas of the JSON API: they document ``/api/v1`` and validate what peers send."""

from __future__ import annotations

import re
from typing import Any, TypedDict

from babel import Locale
from babel.localedata import locale_identifiers
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from mooc_portal.catalog.availability import PUBLIC_STATES, Availability
from mooc_portal.catalog.filters import MAX_QUERY_LENGTH, MAX_VALUES
from mooc_portal.catalog.models import AUDIENCES, Assessment, Credential, DeliveryMode, Level, Pace
from mooc_portal.i18n import parse_language_tag
from mooc_portal.publishing.validation import MAX_CAPACITY, RunData, validate_run
from mooc_portal.reference import (
    ASEM_COUNTRIES,
    ASIA_COUNTRIES,
    EUROPE_COUNTRIES,
    ISCED_F,
    Region,
)

_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _known_languages() -> list[str]:
    """The BCP 47 tags Babel has data for (``en``, ``en-GB``, ``zh-CN``, ``zh-Hans-CN``), the
    ones the catalog's language filter understands."""
    tags = set()
    for identifier in locale_identifiers():
        locale = Locale.parse(identifier)
        parts = [locale.language, locale.script, locale.territory]
        tags.add(locale.language)
        tags.update("-".join(p for p in (locale.language, *pair) if p) for pair in
                    ((parts[1], None), (None, parts[2]), (parts[1], parts[2])))  # fmt: skip
    known = []
    for tag in sorted(tags):
        try:
            parse_language_tag(tag)
        except ValueError:
            continue
        known.append(tag)
    return known


KNOWN_LANGUAGES = _known_languages()


def _language_tag(value: str) -> None:
    try:
        parse_language_tag(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class LanguageTag(fields.String):
    """A BCP 47 language tag (``en``, ``ko``, ``zh-CN``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"example": "en"})
        super().__init__(validate=_language_tag, **kwargs)


def _known_tag(value: str) -> None:
    if not _TAG.match(value):
        raise ValidationError(f"{value!r} is not a language tag (BCP 47, such as en or zh-CN).")
    _language_tag(value)


def _not_blank(what: str) -> Any:
    def check(value: str) -> None:
        if not value.strip():
            raise ValidationError(f"The {what} must not be empty.")

    return check


def text_map(
    required: bool = False, max_length: int = 20000, not_blank: str | None = None
) -> fields.Dict:
    """Texts per language tag; ``not_blank`` names what no text of the map may leave empty."""
    length = validate.Length(max=max_length)
    return fields.Dict(
        keys=fields.String(validate=_known_tag),
        values=fields.String(
            validate=[length, _not_blank(not_blank)] if not_blank else length,
            error_messages={
                "null": "Give a text, not null.",
                "invalid": "Give a text (a JSON string).",
            },
        ),
        required=required,
        validate=(
            validate.Length(min=1, error="Give the text in at least one language.")
            if required
            else None
        ),
        error_messages={
            "null": "Give an object of texts per language tag, not null.",
            "invalid": 'Give an object of texts per language tag, such as {{"en": "..."}}.',
        },
        metadata={
            "description": "Text per BCP 47 language tag.",
            "example": {"en": "Data Science", "ko": "데이터 과학"},
        },
    )


_availability = [a.slug for a in Availability]


class RunSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.Constant("run", dump_only=True)
    id = fields.UUID(required=True)
    course = fields.UUID(required=True)
    start_at = fields.AwareDateTime(allow_none=True, load_default=None)
    end_at = fields.AwareDateTime(allow_none=True, load_default=None)
    enrollment_start_at = fields.AwareDateTime(allow_none=True, load_default=None)
    enrollment_end_at = fields.AwareDateTime(allow_none=True, load_default=None)
    capacity = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=0))
    requires_approval = fields.Boolean(load_default=False)
    delivery_mode = fields.String(
        load_default=DeliveryMode.ONLINE.value,
        validate=validate.OneOf([m.value for m in DeliveryMode]),
    )
    cancelled = fields.Boolean(load_default=False)
    availability = fields.String(dump_only=True, validate=validate.OneOf(_availability))
    modified_at = fields.AwareDateTime(dump_only=True, allow_none=True)

    @validates_schema
    def _run_rules(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """A peer's run keeps the rules of the web forms (dates in order, capacity)."""
        fields_ = {name: data[name] for name in RunData.__dataclass_fields__ if name in data}
        errors = validate_run(RunData(**fields_))
        if errors:
            raise ValidationError(errors[0][1], errors[0][0])


class InstitutionSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.Constant("institution", dump_only=True)
    id = fields.UUID(required=True)
    slug = fields.String(required=True, validate=validate.Length(min=1, max=60))
    name = text_map(required=True, max_length=200)
    short_name = text_map(max_length=40)
    description = text_map()
    original_language = LanguageTag(required=True)
    country = fields.String(
        required=True, validate=validate.OneOf(EUROPE_COUNTRIES + ASIA_COUNTRIES)
    )
    region = fields.String(validate=validate.OneOf([r.value for r in Region]))
    website = fields.Url(allow_none=True, load_default=None, schemes={"http", "https"})
    logo = fields.Url(allow_none=True, load_default=None, schemes={"http", "https"})
    url = fields.Url(allow_none=True, load_default=None, schemes={"http", "https"})
    modified_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class RecognitionSchema(Schema):
    """What recognising a course's credential needs, and whom the course is for (issue 14)."""

    class Meta:
        unknown = EXCLUDE

    workload_hours = fields.Float(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, min_inclusive=False, max=10000),
        metadata={
            "description": "The whole notional learning time, in hours.",
            "exclusiveMinimum": True,
        },
    )
    eqf_level = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1, max=8),
        metadata={"description": "European Qualifications Framework level."},
    )
    national_framework = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "The national framework and the level in it."},
    )
    assessment = fields.String(
        load_default=Assessment.NONE.value,
        validate=validate.OneOf([a.value for a in Assessment]),
    )
    identity_check = fields.Boolean(load_default=False)
    quality_assurance = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "The body that reviewed the course."},
    )
    prerequisites = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=20000)
    )
    stackable = fields.Boolean(
        load_default=False,
        metadata={"description": "The credential counts toward a larger one."},
    )
    audiences = fields.List(
        fields.String(validate=validate.OneOf(AUDIENCES)),
        load_default=list,
        metadata={
            "description": "Technical and vocational (TVET), lifelong learning, made with "
            "industry partners."
        },
    )


class CourseSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.Constant("course", dump_only=True)
    id = fields.UUID(required=True)
    institution = fields.UUID(required=True, metadata={"description": "The institution's id."})
    code = fields.String(required=True, validate=validate.Length(min=1, max=50))
    slug = fields.String(required=True, validate=validate.Length(min=1, max=100))
    title = text_map(required=True, max_length=200)
    summary = text_map()
    description = text_map()
    learning_outcomes = text_map()
    original_language = LanguageTag(required=True)
    subjects = fields.List(fields.String(validate=validate.Regexp(r"^\d{2,4}$")), load_default=list)
    level = fields.String(required=True, validate=validate.OneOf([v.value for v in Level]))
    pace = fields.String(required=True, validate=validate.OneOf([v.value for v in Pace]))
    teaching_languages = fields.List(LanguageTag(), load_default=list)
    subtitle_languages = fields.List(LanguageTag(), load_default=list)
    effort_hours = fields.Float(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, min_inclusive=False, max=9999),
        metadata={"exclusiveMinimum": True},
    )
    length_weeks = fields.Integer(
        allow_none=True, load_default=None, validate=validate.Range(min=1, max=520)
    )
    credential = fields.String(
        load_default=Credential.NONE.value, validate=validate.OneOf([v.value for v in Credential])
    )
    ects_credits = fields.Float(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, min_inclusive=False, max=999),
        metadata={"exclusiveMinimum": True},
    )
    recognition = fields.Nested(
        RecognitionSchema,
        allow_none=True,
        load_default=None,
        metadata={"description": "Recognition details and audience marks; null when none."},
    )
    image = fields.Url(allow_none=True, load_default=None, schemes={"http", "https"})
    availability = fields.String(dump_only=True, validate=validate.OneOf(_availability))
    url = fields.Url(allow_none=True, load_default=None, schemes={"http", "https"})
    published_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    modified_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    runs = fields.List(fields.Nested(RunSchema), load_default=list)

    @validates_schema
    def _credits_with_ects(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if (data.get("credential") == Credential.ECTS) != (data.get("ects_credits") is not None):
            raise ValidationError("ECTS credits go with the ECTS credential only.", "ects_credits")


class TombstoneSchema(Schema):
    type = fields.String(required=True)
    id = fields.UUID(required=True)
    deleted = fields.Constant(True)


class ChangeSchema(Schema):
    sequence = fields.Integer(required=True)
    type = fields.String(required=True, validate=validate.OneOf(["institution", "course", "run"]))
    id = fields.UUID(required=True)
    kind = fields.String(
        required=True, validate=validate.OneOf(["created", "updated", "withdrawn", "deleted"])
    )
    recorded_at = fields.AwareDateTime(required=True)
    resource = fields.Dict(
        allow_none=True,
        metadata={
            "description": "The resource now (institution, course or run), a tombstone "
            "{type, id, deleted: true}, or null when a later change supersedes this one."
        },
    )


class ChangesSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema), required=True)
    next = fields.String(required=True, metadata={"description": "The cursor to continue from."})
    has_more = fields.Boolean(required=True)


class PageSchema(Schema):
    next = fields.String(allow_none=True, metadata={"description": "Cursor of the next page."})


class InstitutionPageSchema(PageSchema):
    items = fields.List(fields.Nested(InstitutionSchema), required=True)


class CoursePageSchema(PageSchema):
    items = fields.List(fields.Nested(CourseSchema), required=True)
    suggestion = fields.String(
        allow_none=True,
        metadata={
            "description": "Only when a search text (q) found no course: a corrected text "
            "made of the catalog's own words that finds courses with the same filters "
            '("did you mean"), or null.'
        },
    )


class SnapshotSchema(Schema):
    format = fields.String(required=True)
    version = fields.Integer(required=True)
    generated_at = fields.AwareDateTime(required=True)
    cursor = fields.String(required=True)
    institutions = fields.List(fields.Nested(InstitutionSchema), required=True)
    courses = fields.List(fields.Nested(CourseSchema), required=True)


class ErrorSchema(Schema):
    status = fields.Integer(required=True)
    message = fields.String(
        required=True,
        metadata={
            "description": "What is wrong; about a field, it starts with the field's path, "
            "such as `title.en: The title must not be empty.`"
        },
    )
    field = fields.String(
        allow_none=True,
        metadata={
            "description": "The (top-level) field at fault; null when the request as a whole "
            "is, such as a body that is not a JSON object."
        },
    )
    errors = fields.Dict(
        metadata={"description": "Messages per field path (`title.en`, `subjects.0`)."}
    )


# An opaque cursor as this portal signs it (itsdangerous' URL-safe form), or empty (the start);
# any other string is refused, and so is one this portal did not sign (400).
CURSOR = {"pattern": r"^([A-Za-z0-9_=-]+\.[A-Za-z0-9_-]+)?$", "example": "WyJrIiw0Ml0.zl3Rn1"}


class ListArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    cursor = fields.String(
        metadata={"description": "The `next` cursor of the previous page.", **CURSOR}
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ArgumentsLocation(TypedDict):
    """Where ``Blueprint.arguments`` reads a schema's values, and the status of a refusal."""

    location: str
    error_status_code: int


class InstitutionFilterSchema(ListArgsSchema):
    country = fields.String(validate=validate.OneOf(EUROPE_COUNTRIES + ASIA_COUNTRIES))
    region = fields.String(validate=validate.OneOf([r.value for r in Region]))


def _facet(name: str, description: str, values: Any = None, **metadata: Any) -> fields.List[str]:
    """A catalog filter: repeatable, each value one of ``values`` (or matching ``metadata``'s
    pattern), exactly as the catalog's parser accepts it; an empty value is ignored."""
    refused = f'The filter {name}="{{input}}" is not valid: give one of the documented values.'
    checks: list[Any] = []
    if values is not None:
        checks.append(validate.OneOf(["", *values], error=refused))
    if "pattern" in metadata:
        checks.append(validate.Regexp(metadata["pattern"], error=refused))
    return fields.List(
        fields.String(validate=checks, metadata=metadata),
        validate=validate.Length(max=MAX_VALUES),
        metadata={"description": description + " Repeatable."},
    )


class CourseFilterSchema(ListArgsSchema):
    """The catalog's filters (``/courses``), parsed by ``catalog.filters.parse_catalog_args``:
    the same parameters and values, several values of one facet meaning any of them."""

    q = fields.String(
        validate=validate.Length(max=MAX_QUERY_LENGTH),
        metadata={
            "description": "Words to search for, in every language.",
            "pattern": "^[^\\x00]*$",
        },
    )
    institution = _facet(
        "institution",
        "An institution's slug or id; one this portal does not have is a 422.",
        pattern=(
            r"^([a-z0-9][a-z0-9-]{0,79}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
            r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
        ),
    )
    country = _facet(
        "country", "An ISO 3166-1 alpha-2 country code of an ASEM partner.", ASEM_COUNTRIES
    )
    region = _facet("region", "`asia` or `europe`.", [r.value for r in Region])
    language = _facet("language", "A teaching language (BCP 47).", KNOWN_LANGUAGES)
    subject = _facet(
        "subject", "An ISCED-F 2013 code; a broad field includes its narrower ones.", list(ISCED_F)
    )
    level = _facet("level", "The course's level.", [m.value for m in Level])
    pace = _facet("pace", "The course's pace.", [m.value for m in Pace])
    availability = _facet(
        "availability", "Whether a run is open, upcoming...", [s.slug for s in PUBLIC_STATES]
    )


class ChangesArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    after = fields.String(
        metadata={
            "description": "A cursor from the feed or the snapshot. One beyond the feed's head "
            "(a provider restored from a backup) is a 400: resynchronise from the snapshot.",
            **CURSOR,
        }
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


# What a partner's developer reads when a value has the wrong type (more specific types first).
_TYPE_MESSAGES: list[tuple[type[fields.Field[Any]], dict[str, str]]] = [
    (
        fields.AwareDateTime,
        {
            "invalid": "Give a date and time in ISO 8601, such as 2026-09-01T09:00:00+09:00.",
            "invalid_awareness": "Give the time zone too, such as 2026-09-01T09:00:00+09:00.",
        },
    ),
    (fields.Url, {"invalid": "Give an http or https address."}),
    (fields.Boolean, {"invalid": "Give true or false."}),
    (fields.Integer, {"invalid": "Give a whole number."}),
    (fields.Float, {"invalid": "Give a number."}),
    (fields.List, {"invalid": "Give a list (a JSON array)."}),
    (fields.String, {"invalid": "Give a text (a JSON string)."}),
]


def _explain(field: fields.Field[Any]) -> None:
    if isinstance(field, fields.Dict):
        return  # text maps carry their own messages
    if isinstance(field, fields.List):
        _explain(field.inner)
    field.error_messages["null"] = "Give a value, not null."
    for kind, messages in _TYPE_MESSAGES:
        if isinstance(field, kind):
            field.error_messages.update(messages)
            break
    for validator in field.validators:
        if isinstance(validator, validate.URL):  # made with the message in Url.__init__
            validator.error = str(field.error_messages["invalid"])
    if isinstance(field, fields.Integer):
        field.strict = True  # 2.5 weeks is refused, not stored as 2


class WholeNumber(fields.Integer):
    """A whole number, given as ``3`` or ``3.0`` (JSON Schema's ``integer`` is any number whose
    fraction is zero); ``2.5`` is refused, not stored as 2."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


class _WriteSchema(Schema):
    """A body a partner's system sends: its messages say what to send instead."""

    error_messages = {"unknown": "Not a field of this API (see /api/v1/docs)."}

    def on_bind_field(self, field_name: str, field_obj: fields.Field[Any]) -> None:
        _explain(field_obj)


class CourseWriteSchema(_WriteSchema):
    """What a partner's system sends to create (or, partially, to change) a course."""

    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.Length(min=1, max=50))
    slug = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", error="Use a-z, 0-9 and -."),
    )
    title = text_map(required=True, max_length=200, not_blank="title")
    summary = text_map()
    description = text_map()
    learning_outcomes = text_map()
    original_language = LanguageTag(required=True)
    subjects = fields.List(
        fields.String(
            validate=validate.Regexp(
                r"^\d{2,4}$", error="Give an ISCED-F 2013 code (2 to 4 digits), such as 0613."
            )
        )
    )
    level = fields.String(validate=validate.OneOf([v.value for v in Level]))
    pace = fields.String(validate=validate.OneOf([v.value for v in Pace]))
    teaching_languages = fields.List(LanguageTag())
    subtitle_languages = fields.List(LanguageTag())
    effort_hours = fields.Float(
        allow_none=True,
        validate=validate.Range(min=0, min_inclusive=False, max=999),
        metadata={"exclusiveMinimum": True},
    )
    length_weeks = WholeNumber(allow_none=True, validate=validate.Range(min=1, max=520))
    credential = fields.String(
        validate=validate.OneOf([v.value for v in Credential]),
        metadata={"description": "`ects` needs `ects_credits`, the others none (else 422)."},
    )
    ects_credits = fields.Float(
        allow_none=True,
        validate=validate.Range(min=0, min_inclusive=False, max=999),
        metadata={"exclusiveMinimum": True},
    )
    image = fields.Url(
        allow_none=True,
        schemes={"http", "https"},
        # What marshmallow's URL validator accepts: a dotted host name with a top-level domain.
        metadata={
            "format": "uri",
            "pattern": r"^[hH][tT][tT][pP][sS]?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
            r"\.)+[A-Za-z]{2,6}(:[0-9]{1,5})?([/?][^\s\x00]*)?$",
        },
    )
    submit = fields.Boolean(
        load_default=False, metadata={"description": "Submit the course for review."}
    )


class RunWriteSchema(_WriteSchema):
    """A run as a partner's system sends it."""

    class Meta:
        unknown = RAISE

    start_at = fields.AwareDateTime(
        allow_none=True,
        metadata={
            "description": "From 2000 to 2100. The dates' order is checked together (and with "
            "the stored ones for a change): the run ends after it starts, enrolment opens before "
            "it closes and closes by the end; values out of order are a 422."
        },
    )
    end_at = fields.AwareDateTime(allow_none=True)
    enrollment_start_at = fields.AwareDateTime(allow_none=True)
    enrollment_end_at = fields.AwareDateTime(allow_none=True)
    capacity = WholeNumber(allow_none=True, validate=validate.Range(min=0, max=MAX_CAPACITY))
    requires_approval = fields.Boolean()
    delivery_mode = fields.String(validate=validate.OneOf([m.value for m in DeliveryMode]))
    cancelled = fields.Boolean()


class WrittenCourseSchema(Schema):
    id = fields.UUID(required=True)
    status = fields.String(required=True)
    code = fields.String(required=True)
    slug = fields.String(required=True)


class WrittenRunSchema(Schema):
    id = fields.UUID(required=True)
    course = fields.UUID(required=True)


class CourseUpdateSchema(CourseWriteSchema):
    """A partial course: only the fields sent change (used with ``partial=True``)."""


class RunUpdateSchema(RunWriteSchema):
    """A partial run: only the fields sent change (used with ``partial=True``)."""


def declare_language_tags(document: dict[str, Any]) -> None:
    """Say in the OpenAPI 3.1 document what the API enforces that marshmallow's fields do not
    tell apispec: one ``LanguageTag`` enum (Babel's tags) for the tag fields and the keys of a
    write's text maps (``propertyNames``), a text map's tag pattern in answers, a title that is
    not blank, and the exclusive lower bounds (a number in JSON Schema 2020-12)."""
    components = document["components"]["schemas"]
    components["LanguageTag"] = {
        "type": "string",
        "enum": KNOWN_LANGUAGES,
        "description": "A BCP 47 language tag the portal knows (Babel's locale data).",
    }
    tag = {"$ref": "#/components/schemas/LanguageTag"}
    for name in ("CourseWrite", "CourseUpdate"):
        properties = components[name]["properties"]
        properties["original_language"] = tag
        for field in ("teaching_languages", "subtitle_languages"):
            properties[field]["items"] = tag
        for field in TEXT_MAPS:
            properties[field]["propertyNames"] = tag
            properties[field]["description"] = (
                "Text per language tag: each key one of `LanguageTag`'s values."
            )
        properties["title"]["minProperties"] = 1
        # The codes the portal knows (another code of the right form is a 422).
        properties["subjects"]["items"]["enum"] = list(ISCED_F)
        # Not blank: a character other than white space (what ``str.strip`` removes).
        properties["title"]["additionalProperties"]["pattern"] = r"^[^\x00]*[^\s\x00][^\x00]*$"
    # The rule across fields a new course keeps: ``ects`` with a number of ECTS credits, any
    # other credential (or none given) without. (A change is checked with the stored values:
    # a 422 there, as the description says.)
    components["CourseWrite"]["anyOf"] = [
        {
            "properties": {"credential": {"const": "ects"}, "ects_credits": {"type": "number"}},
            "required": ["credential", "ects_credits"],
        },
        {
            "properties": {
                "credential": {"enum": [c.value for c in Credential if c != Credential.ECTS]},
                "ects_credits": {"type": "null"},
            }
        },
    ]
    for name in ("CourseWrite", "CourseUpdate"):
        for field in ("effort_hours", "ects_credits"):
            # Stored to a tenth (half to even): 0.05 and below would be 0.
            components[name]["properties"][field].pop("minimum", None)
            components[name]["properties"][field]["exclusiveMinimum"] = 0.05
    for name, fields_ in (("Course", TEXT_MAPS), ("Institution", INSTITUTION_TEXT_MAPS)):
        for field in fields_:
            components[name]["properties"][field]["propertyNames"] = {"pattern": _TAG.pattern}
    _exclusive_bounds(document)
    for name in ("CourseWrite", "CourseUpdate", "RunWrite", "RunUpdate"):
        _no_nul(components[name])


TEXT_MAPS = ("title", "summary", "description", "learning_outcomes")
INSTITUTION_TEXT_MAPS = ("name", "short_name", "description")


NO_NUL = r"^[^\x00]*$"
"""No text of a request may hold a NUL character (``security.check_request``: a 400)."""


def _no_nul(node: Any) -> None:
    """Say so of every free text of a write's schema (enums and patterns already exclude it)."""
    if isinstance(node, dict):
        types = node.get("type")
        is_text = types == "string" or (isinstance(types, list) and "string" in types)
        if is_text and "enum" not in node and "pattern" not in node:
            node["pattern"] = NO_NUL
        for value in node.values():
            _no_nul(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul(value)


def _exclusive_bounds(node: Any) -> None:
    """apispec writes ``Range(min_inclusive=False)`` as ``minimum`` and leaves the metadata's
    ``exclusiveMinimum: true`` (OpenAPI 3.0's form); 3.1 wants ``exclusiveMinimum: <bound>``."""
    if isinstance(node, dict):
        for bound in ("Minimum", "Maximum"):
            if node.get(f"exclusive{bound}") is True:
                node[f"exclusive{bound}"] = node.pop(bound.lower())
        if node.get("type") == "object" and "minLength" in node:  # marshmallow's Length
            node["minProperties"] = node.pop("minLength")
        for value in node.values():
            _exclusive_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _exclusive_bounds(value)
