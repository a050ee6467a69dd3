"""The catalog search returns what the search before issue 16 returned (kept in
``reference_search.py``): the same courses in the same order, totals, availability and facet
counts, for text queries, every facet, every sort and pages, on a varied catalog."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mooc_portal.catalog.search import CatalogFilters, matching_course_ids, search_courses
from mooc_portal.db import session, utcnow
from tests.catalog import reference_search
from tests.factories import make_course, make_institution, make_run

DAY = timedelta(days=1)

CASES = [
    {},
    {"query": "data"},
    {"query": "data science"},
    {"query": "데이터"},
    {"query": "univ"},
    {"query": "nothing-matches-this"},
    {"region": ("asia",), "level": ("introductory",)},
    {"query": "data", "region": ("asia",), "level": ("introductory",)},
    {"institution": ("hanbit",)},
    {"institution": ("hanbit", "lyon"), "pace": ("self_paced",)},
    {"country": ("KR", "FR")},
    {"language": ("ko",)},
    {"language": ("ko", "de"), "region": ("europe",)},
    {"subject": ("06",)},
    {"subject": ("0613", "04")},
    {"availability": ("open",)},
    {"availability": ("upcoming", "in-progress")},
    {"availability": ("archived", "to-be-scheduled")},
    {"query": "data", "availability": ("open",), "language": ("en",)},
    {"level": ("advanced",), "pace": ("instructor_led",), "country": ("DE",)},
    {"query": "climate", "subject": ("05",), "level": ("intermediate",)},
    {"sort": "title"},
    {"sort": "start"},
    {"sort": "newest", "region": ("asia",)},
    {"query": "data", "sort": "title"},
    {"query": "data", "sort": "start", "region": ("europe",)},
    {"query": "science", "sort": "relevance"},
]


@pytest.fixture
def varied_catalog(app):
    """Institutions in Asia and Europe (one inactive), courses in every status, several
    languages, subjects and runs in every state, one with more enrolment windows than a
    catalog entry stores."""
    now = utcnow()
    institutions = [
        make_institution("Hanbit National University", country="KR", slug="hanbit"),
        make_institution("Université de Lyon", country="FR", slug="lyon"),
        make_institution("Technische Universität", country="DE", slug="tu"),
        make_institution("Kansai Institute", country="JP", slug="kansai"),
        make_institution("Closed University", country="VN", slug="closed", active=False),
    ]
    words = ["data", "science", "climate", "history", "design", "law", "health", "robots"]
    run_shapes = [
        {"start": now + 20 * DAY},
        {"start": now + 20 * DAY, "enrollment_start_at": now + 5 * DAY},
        {"start": now - 7 * DAY, "enrollment_end_at": now - DAY},
        {"start": now - 300 * DAY, "weeks": 4},
        {"cancelled": True},
        {"start": None},
        {"start": now + 60 * DAY, "enrollment_start_at": now - 2 * DAY},
    ]
    levels = ("introductory", "intermediate", "advanced")
    languages = [("en",), ("ko",), ("en", "ko"), ("de", "en"), ("fr",), ("ja", "en")]
    subjects = [("0613",), ("0412", "0613"), ("0521",), ("0222", "0714"), ("0421",)]
    statuses = ["published"] * 5 + ["draft", "withdrawn"]
    for n in range(42):
        title = f"{words[n % 8].title()} {words[(n * 3 + 1) % 8].title()} {n}"
        titles = {"en": title}
        if n % 4 == 0:
            titles["ko"] = ["데이터 과학", "기후 변화", "역사 입문"][n % 3]
        course = make_course(
            institution=institutions[n % 5],
            titles=titles,
            summary=f"About {words[(n * 5) % 8]} and {words[(n + 2) % 8]}.",
            status=statuses[n % 7],
            level=levels[n % 3],
            pace="self_paced" if n % 4 == 1 else "instructor_led",
            teaching_languages=languages[n % 6],
            subjects=subjects[n % 5],
        )
        course.published_at = now - (n * 7 % 30) * DAY
        for k in range(n % 4):
            make_run(course, **run_shapes[(n + k * 3) % 7])
    busy = make_course(
        "Data Every Month", institution=institutions[0], subjects=("0613",), level="advanced"
    )
    for month in range(5):  # five separate enrolment windows: more than an entry stores
        opens = now + (month * 60 - 100) * DAY
        make_run(
            busy,
            start=opens + 20 * DAY,
            enrollment_start_at=opens,
            enrollment_end_at=opens + 10 * DAY,
        )
    session.flush()
    return now


def observed(result) -> dict:
    return {
        "courses": [c.slug for c in result.courses],
        "total": result.total,
        "page": result.page,
        "out_of_range": result.page_out_of_range,
        "sort": result.sort,
        "availability": {c.slug: result.availability[c.id] for c in result.courses},
        "facets": {
            name: [(o.value, str(o.label), o.count, o.selected) for o in options]
            for name, options in result.facets.items()
        },
    }


NEW_FACETS = {"audience"}
"""Facets added after the reference was copied (issue 14); tests/catalog/test_recognition.py
tests them. Every facet the reference has must agree."""


def same_as_reference(actual, expected) -> bool:
    seen, wanted = observed(actual), observed(expected)
    assert set(seen["facets"]) - set(wanted["facets"]) == NEW_FACETS
    for name in NEW_FACETS:
        del seen["facets"][name]
    assert seen == wanted
    return True


def test_results_and_counts_are_the_same_as_before(varied_catalog):
    now = varied_catalog
    views = (
        (1, 20, now),
        (1, 20, now + 15 * DAY),
        (1, 20, now - 40 * DAY),
        (2, 7, now),
        (9, 10, now),
    )
    for filters in CASES:
        for page, page_size, moment in views:
            arguments = {"language": "en", "page": page, "page_size": page_size, "now": moment}
            expected = reference_search.search_courses(
                reference_search.CatalogFilters(**filters), **arguments
            )
            actual = search_courses(CatalogFilters(**filters), **arguments)
            assert same_as_reference(actual, expected), (filters, page, moment - now)
        if "sort" not in filters:
            reference_ids = reference_search.matching_course_ids(
                reference_search.CatalogFilters(**filters)
            )
            ids = matching_course_ids(CatalogFilters(**filters))
            assert sorted(session.scalars(ids)) == sorted(session.scalars(reference_ids))


def test_the_reference_sees_a_varied_catalog(varied_catalog):
    """The comparison means something: the catalog has matches, pages and every state."""
    result = reference_search.search_courses(reference_search.CatalogFilters(), language="en")
    assert result.total >= 25
    states = {o.value for o in result.facets["availability"]}
    assert states == {"open", "upcoming", "in-progress", "archived", "to-be-scheduled"}
    found = reference_search.search_courses(
        reference_search.CatalogFilters(query="data"), language="en"
    )
    assert 0 < found.total < result.total
    assert session.scalar(select(reference_search.Course.id).limit(1)) is not None


def test_counts_follow_publishing_edits_runs_and_institutions(varied_catalog):
    """The stored entries and counts follow every kind of change, written through the ORM."""
    from mooc_portal.catalog.models import Course, CourseLanguage, CourseRun, LanguageKind
    from mooc_portal.institutions.models import Institution

    now = varied_catalog
    courses = session.scalars(select(Course).order_by(Course.id)).all()
    published = [c for c in courses if c.status == "published"]
    published[0].status = "withdrawn"
    published[1].level = "advanced"
    published[2].languages.append(
        CourseLanguage(kind=LanguageKind.TEACHING, language="vi", position=5)
    )
    published[3].languages.clear()
    published[4].subjects.clear()
    draft = next(c for c in courses if c.status == "draft")
    draft.status = "published"
    run = session.scalar(select(CourseRun).where(CourseRun.cancelled.is_(False)).limit(1))
    run.cancelled = True
    make_run(published[5], start=now + 3 * DAY, enrollment_start_at=now - DAY)
    session.scalar(select(Institution).where(Institution.slug == "lyon")).active = False
    session.scalar(select(Institution).where(Institution.slug == "closed")).active = True
    session.delete(published[6])
    session.flush()

    for filters in CASES[:3] + CASES[6:17]:
        expected = reference_search.search_courses(
            reference_search.CatalogFilters(**filters), language="en"
        )
        actual = search_courses(CatalogFilters(**filters), language="en")
        assert same_as_reference(actual, expected), filters
