"""Imports every domain's models so that ``Base.metadata`` knows all portal tables."""

from mooc_portal.accounts.models import Account, LoginAttempt, Membership
from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
    CourseRun,
    CourseSearchDocument,
    CourseSubject,
    CourseTranslation,
    SubjectArea,
)
from mooc_portal.certificates.models import Certificate
from mooc_portal.enrollment.models import Enrollment, EnrollmentTransition
from mooc_portal.institutions.models import Institution, InstitutionTranslation

__all__ = [
    "Account",
    "Certificate",
    "Course",
    "CourseLanguage",
    "CourseRun",
    "CourseSearchDocument",
    "CourseSubject",
    "CourseTranslation",
    "Enrollment",
    "EnrollmentTransition",
    "Institution",
    "InstitutionTranslation",
    "LoginAttempt",
    "Membership",
    "SubjectArea",
]
