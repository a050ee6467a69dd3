"""A course's recognition details and audience marks, as its partner staff set them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Assessment, Course, CourseRecognition
from mooc_portal.errors import InvalidInput
from mooc_portal.publishing.permissions import require_course_editor

MAX_WORKLOAD_HOURS = Decimal(10000)
NAME_LIMIT = 200
PREREQUISITES_LIMIT = 5000


FORM_FIELDS = (
    "workload_hours",
    "eqf_level",
    "national_framework",
    "assessment",
    "identity_check",
    "quality_assurance",
    "prerequisites",
    "stackable",
    "tvet",
    "lifelong_learning",
    "with_industry",
)


@dataclass(frozen=True)
class RecognitionData:
    """What the recognition form or an API sends; checked by :func:`set_recognition`."""

    workload_hours: Decimal | None = None
    eqf_level: int | None = None
    national_framework: str | None = None
    assessment: str = Assessment.NONE.value
    identity_check: bool = False
    quality_assurance: str | None = None
    prerequisites: str | None = None
    stackable: bool = False
    tvet: bool = False
    lifelong_learning: bool = False
    with_industry: bool = False


def _text(value: str | None, limit: int, field: str) -> str | None:
    value = (value or "").strip() or None
    if value is not None and len(value) > limit:
        raise InvalidInput(_("At most %(n)d characters.", n=limit), field=field)
    return value


def set_recognition(actor: Account | None, course: Course, data: RecognitionData) -> Course:
    """Set the course's recognition details and audience marks; flushes.

    Raises NotFound (the actor may not edit the course) and InvalidInput (with the field) for
    a workload that is not positive or over 10,000 hours, an EQF level outside 1-8, an unknown
    form of assessment or a text over its limit.
    """
    actor = require_course_editor(actor, course)
    if data.workload_hours is not None and not (0 < data.workload_hours <= MAX_WORKLOAD_HOURS):
        raise InvalidInput(
            _("The workload must be more than 0 and at most 10,000 hours."), field="workload_hours"
        )
    if data.eqf_level is not None and not 1 <= data.eqf_level <= 8:
        raise InvalidInput(_("EQF levels go from 1 to 8."), field="eqf_level")
    if data.assessment not in {a.value for a in Assessment}:
        raise InvalidInput(_("Choose a form of assessment from the list."), field="assessment")
    recognition = course.recognition or CourseRecognition(course_id=course.id)
    recognition.workload_hours = data.workload_hours
    recognition.eqf_level = data.eqf_level
    recognition.national_framework = _text(
        data.national_framework, NAME_LIMIT, "national_framework"
    )
    recognition.assessment = data.assessment
    recognition.identity_check = data.identity_check
    recognition.quality_assurance = _text(data.quality_assurance, NAME_LIMIT, "quality_assurance")
    recognition.prerequisites = _text(data.prerequisites, PREREQUISITES_LIMIT, "prerequisites")
    recognition.stackable = data.stackable
    recognition.tvet = data.tvet
    recognition.lifelong_learning = data.lifelong_learning
    recognition.with_industry = data.with_industry
    course.recognition = recognition
    # The audit entry and the search index, as every change of a course's fields.
    from mooc_portal.publishing.services import _record

    _record(actor, course, "update", summary=f"{course.code}: recognition")
    return course
