"""Discovery by search engines: schema.org ``Course`` JSON-LD and ``/sitemap.xml``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

from mooc_portal.catalog.models import Course, CourseRun, Credential, DeliveryMode, Pace
from mooc_portal.db import session
from mooc_portal.federation.services.peers import course_origin, institution_origin
from mooc_portal.federation.services.read_model import own_public_courses, own_public_institutions
from mooc_portal.institutions.models import Institution
from mooc_portal.urls import external_url

SITEMAP_LIMIT = 50_000  # URLs per sitemap file, as sitemaps.org allows


# schema.org's repeatFrequency as Google's course guidelines give it.
WEEKLY = "Weekly"


def _weekly_hours(course: Course) -> str | None:
    if course.effort_hours is None:
        return None
    return f"PT{float(course.effort_hours):g}H"


def _workload(course: Course) -> str | None:
    """The whole course's workload: hours per week times weeks (hours per week when the
    length is not known)."""
    if course.effort_hours is None:
        return None
    hours = float(course.effort_hours) * (course.length_weeks or 1)
    return f"PT{hours:g}H"


def _instance(course: Course, run: CourseRun) -> dict[str, Any]:
    instance: dict[str, Any] = {
        "@type": "CourseInstance",
        "courseMode": "Online" if run.delivery_mode == DeliveryMode.ONLINE else "Blended",
        "inLanguage": course.teaching_languages or [course.original_language],
    }
    if course.pace == Pace.SELF_PACED or run.start_at is None:
        workload = _workload(course)
        if workload:
            instance["courseWorkload"] = workload
    else:
        schedule: dict[str, Any] = {"@type": "Schedule", "repeatFrequency": WEEKLY}
        if course.effort_hours is not None:
            schedule["duration"] = _weekly_hours(course)
        if course.length_weeks:
            schedule["repeatCount"] = course.length_weeks
        instance["courseSchedule"] = schedule
    if run.start_at is not None:
        instance["startDate"] = run.start_at.date().isoformat()
    if run.end_at is not None:
        instance["endDate"] = run.end_at.date().isoformat()
    if run.capacity is not None:
        instance["maximumAttendeeCapacity"] = run.capacity
    return instance


def course_json_ld(course: Course, language: str) -> dict[str, Any]:
    """The schema.org ``Course`` of a course page (render with ``|tojson`` in a
    ``<script type="application/ld+json">`` block: a data block, allowed by the strict CSP)."""
    institution = course.institution
    origin = course_origin(course)
    # A harvested course's page of record is its origin's: search engines index that one.
    url = (origin.origin_url if origin else None) or external_url(
        "portal.catalog.course_detail", slug=course.slug
    )
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Course",
        "@id": url,
        "url": url,
        "identifier": str(course.uuid),
        "courseCode": course.code,
        "name": course.text("title", language).text,
        "description": course.text("summary", language).text
        or course.text("description", language).text
        or course.text("title", language).text,
        "inLanguage": course.teaching_languages or [course.original_language],
        "provider": {
            "@type": "CollegeOrUniversity",
            "name": institution.text("name", language).text,
            "url": external_url("portal.institutions.institution_detail", slug=institution.slug),
        },
        # Every course and its certificate cost nothing: the category follows that price.
        "offers": {"@type": "Offer", "category": "Free", "price": 0, "priceCurrency": "EUR"},
        "hasCourseInstance": [_instance(course, run) for run in course.runs if not run.cancelled],
    }
    # The provider's own identity on the web; for a harvested course at least its origin's
    # page of the institution, or the peer portal itself.
    institution_from = institution_origin(institution.id)
    same_as = (
        institution.website
        or (institution_from.origin_url if institution_from else None)
        or (origin.peer.base_url if origin else None)
    )
    if same_as:
        data["provider"]["sameAs"] = same_as
    if course.image:
        data["image"] = course.image
    if course.credential == Credential.ECTS and course.ects_credits is not None:
        data["numberOfCredits"] = float(course.ects_credits)
    if course.credential != Credential.NONE:
        data["educationalCredentialAwarded"] = (
            "ECTS credits" if course.credential == Credential.ECTS else "Certificate of completion"
        )
    if course.subjects:
        data["about"] = [s.area.label for s in course.subjects]
    return data


def sitemap() -> Iterator[str]:
    """``/sitemap.xml``: this portal's own public institutions and courses with their last
    modification. Harvested ones are left out: their origin lists them, and their pages name
    the origin's page as canonical."""
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    count = 0
    for endpoint in (
        "portal.web.home",
        "portal.catalog.course_list",
        "portal.institutions.institution_list",
    ):
        yield f"<url><loc>{escape(external_url(endpoint))}</loc></url>\n"
        count += 1
    institution_url = external_url("portal.institutions.institution_detail", slug="__slug__")
    rows = session.execute(
        own_public_institutions()
        .with_only_columns(Institution.slug, Institution.modified_at)
        .order_by(Institution.id)
    )
    for slug, modified in rows:
        yield _url(institution_url.replace("__slug__", slug), modified)
        count += 1
    course_url = external_url("portal.catalog.course_detail", slug="__slug__")
    query = (
        own_public_courses().with_only_columns(Course.slug, Course.modified_at).order_by(Course.id)
    )
    for slug, modified in session.execute(query.limit(SITEMAP_LIMIT - count)):
        yield _url(course_url.replace("__slug__", slug), modified)
    yield "</urlset>\n"


def _url(loc: str, modified: Any) -> str:
    lastmod = f"<lastmod>{modified.date().isoformat()}</lastmod>" if modified else ""
    return f"<url><loc>{escape(loc)}</loc>{lastmod}</url>\n"
