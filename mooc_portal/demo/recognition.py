"""Demo step: recognition details and audience marks on a share of the courses, and two
vocational partners, so the course pages, the facets and the credentials show them."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from mooc_portal.catalog.models import Assessment, CourseRecognition, CourseStatus
from mooc_portal.db import session
from mooc_portal.institutions.models import InstitutionKind

if TYPE_CHECKING:
    from mooc_portal.demo import DemoContext

VOCATIONAL = ("aotearoa-open-polytechnic", "hanoi-university-of-technology-and-education")
FRAMEWORKS = {
    "KR": "Korean Qualifications Framework, level {n}",
    "JP": "Japanese Qualifications Framework, level {n}",
    "DE": "Deutscher Qualifikationsrahmen, Niveau {n}",
    "FR": "Cadre national des certifications professionnelles, niveau {n}",
    "NZ": "New Zealand Qualifications and Credentials Framework, level {n}",
    "AU": "Australian Qualifications Framework, level {n}",
}
QUALITY_BODIES = (
    "National quality assurance agency",
    "ASEM partner peer review",
    "Industry certification board",
)


def add_recognition(context: DemoContext) -> None:
    for slug in VOCATIONAL:
        institution = context.institutions.get(slug)
        if institution is not None:
            institution.kind = InstitutionKind.VOCATIONAL
    assessments = list(Assessment)
    published = [c for c in context.courses if c.status == CourseStatus.PUBLISHED]
    for number, course in enumerate(published):
        if number % 3 == 2:
            continue
        vocational = course.institution.slug in VOCATIONAL
        eqf = 4 + number % 4
        assessment = assessments[number % len(assessments)]
        framework = FRAMEWORKS.get(course.institution.country)
        hours = (course.effort_hours or Decimal(3)) * (course.length_weeks or 6)
        course.recognition = CourseRecognition(
            workload_hours=hours,
            eqf_level=eqf,
            national_framework=framework.format(n=eqf) if framework else None,
            assessment=assessment,
            identity_check=assessment in (Assessment.PROCTORED, Assessment.SUPERVISED_ON_SITE),
            quality_assurance=QUALITY_BODIES[number % len(QUALITY_BODIES)],
            prerequisites="None beyond secondary education." if number % 2 else None,
            stackable=number % 4 == 0,
            tvet=vocational or number % 7 == 0,
            lifelong_learning=number % 2 == 0,
            with_industry=vocational or number % 5 == 0,
        )
    session.flush()
