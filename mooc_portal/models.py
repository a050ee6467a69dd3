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
from mooc_portal.federation.models import (
    ApiToken,
    ChangeEntry,
    ChangeFeedHorizon,
    FederatedOrigin,
    HarvestRun,
    Peer,
    RejectedRecord,
)
from mooc_portal.institutions.models import Institution, InstitutionTranslation

__all__ = [
    "Account",
    "ApiToken",
    "ChangeEntry",
    "ChangeFeedHorizon",
    "Course",
    "CourseLanguage",
    "CourseRun",
    "CourseSearchDocument",
    "CourseSubject",
    "CourseTranslation",
    "FederatedOrigin",
    "HarvestRun",
    "Institution",
    "InstitutionTranslation",
    "LoginAttempt",
    "Membership",
    "Peer",
    "RejectedRecord",
    "SubjectArea",
]
