"""Imports every domain's models so that ``Base.metadata`` knows all portal tables."""

from mooc_portal.accounts.models import Account, LoginAttempt, Membership
from mooc_portal.audit.models import AuditEntry
from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
    CourseRecognition,
    CourseRun,
    CourseSearchDocument,
    CourseSubject,
    CourseTranslation,
    SearchWord,
    SubjectArea,
)
from mooc_portal.catalog.outline import Lesson, LessonTranslation, Module, ModuleTranslation
from mooc_portal.certificates.models import Certificate
from mooc_portal.enrollment.models import Enrollment, EnrollmentTransition, SharingConsent
from mooc_portal.federation.models import (
    ApiToken,
    ChangeEntry,
    ChangeFeedHorizon,
    FederatedOrigin,
    HarvestRun,
    Peer,
    RejectedRecord,
)
from mooc_portal.insights.models import InsightActivity, InsightRun, InsightSnapshot
from mooc_portal.institutions.models import Institution, InstitutionTranslation
from mooc_portal.jobs.models import OutboxJob
from mooc_portal.privacy.models import (
    NoticeAcknowledgement,
    PrivacyNotice,
    PrivacyNoticeText,
    PrivacyRequest,
    Pseudonym,
)
from mooc_portal.progress.models import LessonCompletion, LessonVisit, ReportedProgress
from mooc_portal.publishing.models import MediaFile, OutlineRemoval, ReviewEvent
from mooc_portal.xapi.models import (
    ActivityMapping,
    LearnerLink,
    StatementOutcome,
    XapiActivity,
    XapiAttachment,
    XapiCredential,
    XapiDocument,
    XapiStatement,
    XapiStatementLink,
)

__all__ = [
    "Account",
    "ActivityMapping",
    "ApiToken",
    "AuditEntry",
    "Certificate",
    "ChangeEntry",
    "ChangeFeedHorizon",
    "Course",
    "CourseLanguage",
    "CourseRecognition",
    "CourseRun",
    "CourseSearchDocument",
    "CourseSubject",
    "CourseTranslation",
    "Enrollment",
    "EnrollmentTransition",
    "FederatedOrigin",
    "HarvestRun",
    "InsightActivity",
    "InsightRun",
    "InsightSnapshot",
    "Institution",
    "InstitutionTranslation",
    "LearnerLink",
    "Lesson",
    "LessonCompletion",
    "LessonTranslation",
    "LessonVisit",
    "LoginAttempt",
    "MediaFile",
    "Membership",
    "Module",
    "ModuleTranslation",
    "NoticeAcknowledgement",
    "OutboxJob",
    "OutlineRemoval",
    "Peer",
    "PrivacyNotice",
    "PrivacyNoticeText",
    "PrivacyRequest",
    "Pseudonym",
    "RejectedRecord",
    "ReportedProgress",
    "ReviewEvent",
    "SearchWord",
    "SharingConsent",
    "StatementOutcome",
    "SubjectArea",
    "XapiActivity",
    "XapiAttachment",
    "XapiCredential",
    "XapiDocument",
    "XapiStatement",
    "XapiStatementLink",
]
