"""The portal's organizations, courses and runs as OOAPI v5 objects."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import current_app

from mooc_portal.catalog.models import Course, CourseRun, Credential, DeliveryMode, Level
from mooc_portal.federation.languages import iso_639_2
from mooc_portal.federation.serialize import PageLinks, logo_link
from mooc_portal.federation.services import ooapi as services
from mooc_portal.institutions.models import Institution
from mooc_portal.urls import external_url

NOTHING: frozenset[str] = frozenset()


def strings(translations: Any, field: str, fallback: str | None = None) -> list[dict[str, str]]:
    """A multilingual field as OOAPI ``LanguageTypedString`` items."""
    ordered = sorted(translations, key=lambda t: t.language)
    for name in (field, fallback):
        items = [
            {"language": t.language, "value": getattr(t, name)}
            for t in ordered
            if name and getattr(t, name)
        ]
        if items:
            return items
    return []


def root(institutions: list[Institution] | None = None, *, expand: bool = False) -> dict[str, Any]:
    """The portal itself, the root organization; its children's ids (or objects)."""
    children = services.root_institutions() if institutions is None else institutions
    return {
        "organizationId": str(services.root_id()),
        "organizationType": "root",
        "primaryCode": {"codeType": "identifier", "code": services.ROOT_CODE},
        "name": [{"language": "en", "value": services.root_name()}],
        "shortName": "ASEM MOOC",
        "link": external_url("portal.web.home"),
        "children": [organization(i) if expand else str(i.uuid) for i in children],
    }


def organization(institution: Institution, expand_parent: bool = False) -> dict[str, Any]:
    short = institution.text("short_name", institution.original_language).text
    name = institution.text("name", institution.original_language).text
    data: dict[str, Any] = {
        "organizationId": str(institution.uuid),
        "organizationType": "institute",
        "primaryCode": {"codeType": "identifier", "code": institution.slug},
        "name": strings(institution.translations, "name"),
        "shortName": (short or name)[:256],
        "parent": root() if expand_parent else str(services.root_id()),
        "addresses": [{"addressType": "postal", "countryCode": institution.country}],
    }
    description = strings(institution.translations, "description")
    if description:
        data["description"] = description
    if institution.website:
        data["link"] = institution.website
    if institution.logo:
        data["logo"] = logo_link(institution.logo)
    return data


def service_metadata() -> dict[str, Any]:
    email = current_app.config["MOOC_OOAPI_CONTACT_EMAIL"] or "contact@asem-mooc.example"
    return {
        "contactEmail": email,
        "specification": (
            "https://raw.githubusercontent.com/open-education-api/specification/release/5.0/"
            "v5/ooapi.json"
        ),
        "documentation": "https://openonderwijsapi.nl/v5/",
    }


EQF_OOAPI_LEVELS = {
    1: "secondary vocational education 1",
    2: "secondary vocational education 2",
    3: "secondary vocational education 3",
    4: "secondary vocational education 4",
    5: "associate degree",
    6: "bachelor",
    7: "master",
    8: "doctoral",
}
"""OOAPI's ``level`` for a course at each EQF level (issue 14)."""
ASSESSMENT_TEXT = {
    "none": "No assessment",
    "automated": "Automated assessment (quizzes, graded assignments)",
    "proctored": "Online assessment with a proctor",
    "supervised_on_site": "Assessment supervised on site",
}


def _recognition(course: Course, data: dict[str, Any]) -> None:
    """The course's recognition details (issue 14): its level from the EQF level, the workload
    when no other study load is given, prerequisites, assessment, and the rest in ``ext``."""
    recognition = getattr(course, "recognition", None)  # the read model's rows have none
    if recognition is None:
        return
    if recognition.workload_hours is not None and "studyLoad" not in data:
        data["studyLoad"] = {"studyLoadUnit": "hour", "value": float(recognition.workload_hours)}
    if recognition.eqf_level is not None:
        data["level"] = EQF_OOAPI_LEVELS.get(recognition.eqf_level, data["level"])
    if recognition.prerequisites:
        data["admissionRequirements"] = [
            {"language": course.original_language, "value": recognition.prerequisites}
        ]
    data["assessment"] = [{"language": "en-GB", "value": ASSESSMENT_TEXT[recognition.assessment]}]
    data["ext"] = {
        "recognition": {
            "eqfLevel": recognition.eqf_level,
            "nationalFramework": recognition.national_framework,
            "identityCheck": recognition.identity_check,
            "qualityAssurance": recognition.quality_assurance,
            "stackable": recognition.stackable,
            "audiences": recognition.audiences,
        }
    }


def _teaching_language(course: Course) -> str:
    languages = course.teaching_languages or [course.original_language]
    return iso_639_2(languages[0])


def course(course: Course, links: PageLinks, expand: Collection[str] = NOTHING) -> dict[str, Any]:
    translations = course.translations
    data: dict[str, Any] = {
        "courseId": str(course.uuid),
        "primaryCode": {"codeType": "identifier", "code": course.code},
        "name": strings(translations, "title"),
        "abbreviation": course.code[:256],
        "description": strings(translations, "description", fallback="summary")
        or strings(translations, "title"),
        "teachingLanguage": _teaching_language(course),
        "level": services.LEVELS[Level(course.level)],
        "organization": (
            organization(course.institution)
            if "organization" in expand
            else str(course.institution.uuid)
        ),
    }
    modes = services.course_modes(course)
    if modes:
        data["modeOfDelivery"] = modes
    if course.credential == Credential.ECTS and course.ects_credits is not None:
        data["studyLoad"] = {"studyLoadUnit": "ects", "value": float(course.ects_credits)}
    elif course.effort_hours is not None and course.length_weeks:
        data["studyLoad"] = {
            "studyLoadUnit": "hour",
            "value": float(course.effort_hours * course.length_weeks),
        }
    _recognition(course, data)
    if course.length_weeks:
        data["duration"] = f"P{course.length_weeks}W"
    starts = [r.start_at for r in course.runs if r.start_at is not None and not r.cancelled]
    if starts:
        data["firstStartDate"] = min(starts).date().isoformat()
    if course.subjects:
        data["fieldsOfStudy"] = course.subjects[0].code
    outcomes = strings(translations, "learning_outcomes")
    if outcomes:
        data["learningOutcomes"] = [outcomes]
    link = links.fill(links.course, course.slug)
    if link:
        data["link"] = link
    for empty in ("programs", "coordinators"):
        if empty in expand:
            data[empty] = []
    return data


def offering(run: CourseRun, links: PageLinks, expand: Collection[str] = NOTHING) -> dict[str, Any]:
    of = run.course
    start, end = services.offering_dates(run) or (None, None)
    assert start is not None and end is not None  # only offerings are serialised
    data: dict[str, Any] = {
        "offeringId": str(run.uuid),
        "primaryCode": {"codeType": "offeringCode", "code": f"{of.code}-{start.isoformat()}"},
        "offeringType": "course",
        "name": strings(of.translations, "title"),
        "abbreviation": of.code[:256],
        "description": strings(of.translations, "summary", fallback="title"),
        "teachingLanguage": _teaching_language(of),
        "modeOfDelivery": [services.MODES[DeliveryMode(run.delivery_mode)]],
        "resultExpected": of.credential != Credential.NONE,
        "startDate": start.isoformat(),
        "endDate": end.isoformat(),
        # No price list: and an empty one is what tells a course offering from a program
        # offering in OOAPI's oneOf (a program offering's priceInformation has minItems 1).
        "priceInformation": [],
        "course": course(of, links) if "course" in expand else str(of.uuid),
        "organization": (
            organization(of.institution) if "organization" in expand else str(of.institution.uuid)
        ),
    }
    if run.capacity is not None:
        data["maxNumberStudents"] = run.capacity
    if run.enrollment_start_at is not None:
        data["enrollStartDate"] = run.enrollment_start_at.date().isoformat()
    if run.enrollment_end_at is not None:
        data["enrollEndDate"] = run.enrollment_end_at.date().isoformat()
    link = links.fill(links.course, of.slug)
    if link:
        data["link"] = link
    return data
