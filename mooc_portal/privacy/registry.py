"""Every table that holds a reference to a learner, and what "my data" and erasure do with it.

The test suite walks the database schema: every foreign key to ``mooc_account``, and every
foreign key into a table whose rows belong to a learner, must be listed here, so that a new
table with learner data cannot be forgotten by the data download or by erasure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ACCOUNT_TABLE = "mooc_account"

Erasure = Literal["reassign", "delete", "null", "placeholder"]


@dataclass(frozen=True)
class AccountReference:
    """A column referring to an account.

    ``on_erasure``: ``reassign`` to the pseudonymous placeholder (the row keeps figures right),
    ``delete`` the row, set the column to ``null`` (the account acted on someone else's object),
    or ``placeholder`` (the row only ever refers to placeholders). ``owned``: the row belongs to
    the learner, so tables referring to it hold the learner's data too. ``section``: the part of
    the data download that contains it.
    """

    table: str
    column: str
    on_erasure: Erasure
    section: str
    owned: bool = False


ACCOUNT_REFERENCES: tuple[AccountReference, ...] = (
    AccountReference("mooc_membership", "account_id", "delete", "memberships", owned=True),
    AccountReference("mooc_enrollment", "account_id", "reassign", "enrolments", owned=True),
    AccountReference("mooc_enrollment_transition", "actor_id", "reassign", "enrolments"),
    AccountReference("mooc_certificate", "revoked_by_id", "null", "staff_actions"),
    AccountReference("mooc_audit_entry", "actor_id", "null", "audit_entries"),
    AccountReference("mooc_review_event", "actor_id", "null", "staff_actions"),
    AccountReference("mooc_api_token", "created_by_id", "null", "staff_actions"),
    AccountReference("mooc_privacy_notice", "published_by_id", "null", "staff_actions"),
    AccountReference(
        "mooc_notice_acknowledgement", "account_id", "delete", "notices_shown", owned=True
    ),
    AccountReference("mooc_sharing_consent", "account_id", "reassign", "consents", owned=True),
    AccountReference("mooc_privacy_request", "account_id", "reassign", "requests", owned=True),
    AccountReference("mooc_data_download", "account_id", "delete", "data_downloads", owned=True),
    AccountReference("mooc_pseudonym", "account_id", "placeholder", "none"),
    AccountReference("mooc_xapi_credential", "created_by_id", "null", "staff_actions"),
    AccountReference("mooc_course_import", "account_id", "null", "staff_actions"),
    AccountReference(
        "mooc_xapi_learner_link", "account_id", "delete", "platform_accounts", owned=True
    ),
)

DEPENDENT_TABLES: dict[tuple[str, str], str] = {
    # (table, column referring to a learner-owned table) -> section of the download
    ("mooc_enrollment_transition", "enrollment_id"): "enrolments",
    ("mooc_lesson_completion", "enrollment_id"): "progress",
    ("mooc_lesson_visit", "enrollment_id"): "progress",
    ("mooc_certificate", "enrollment_id"): "certificates",
    ("mooc_sharing_consent", "enrollment_id"): "consents",
    ("mooc_xapi_outcome", "enrollment_id"): "progress",
    ("mooc_xapi_reported_progress", "enrollment_id"): "progress",
}
"""Rows that reach a learner through a learner-owned row (erased with it, or kept with the
pseudonymous enrolment and freed of names)."""

BY_EMAIL_TABLES: dict[tuple[str, str], str] = {
    ("mooc_login_attempt", "email"): "login_history",
    ("mooc_audit_entry", "actor_email"): "audit_entries",
}
"""Tables that name a learner by e-mail address, without a foreign key."""

BY_AGENT_HASH_TABLES: dict[tuple[str, str], str] = {
    ("mooc_xapi_document", "agent_hash"): "platform_documents",
}
"""Tables that name a learner by the hash of an xAPI identity (``mbox``, ``mbox_sha1sum`` or
a linked platform account: ``xapi.progress.account_agent_hashes``), without a foreign key."""


def reference(table: str, column: str) -> AccountReference | None:
    return next((r for r in ACCOUNT_REFERENCES if r.table == table and r.column == column), None)
