"""The names of the fields of "My data", in the learner's language.

The JSON document keeps its keys (a stable format other software can read); the readable page
shows these labels instead of the keys, and the download carries them in ``field_names``, so a
learner who does not read English can read their data. A test walks a full document and fails
on a key without a label.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

DATA_LABELS = {
    # the document
    "format": _l("Format version"),
    "generated_at": _l("Prepared at"),
    "portal": _l("Portal"),
    "controller": _l("Data controller"),
    "field_names": _l("Field names"),
    # sections
    "account": _l("Your account"),
    "memberships": _l("Your roles at partner institutions"),
    "enrolments": _l("Your enrolments and their history"),
    "progress": _l("Your progress"),
    "platform_accounts": _l("Your accounts on partner platforms"),
    "platform_documents": _l("Documents partner platforms stored about you"),
    "certificates": _l("Your certificates"),
    "consents": _l("What you agreed to share with institutions"),
    "notices_shown": _l("Privacy notices you were shown"),
    "login_history": _l("Log-in history"),
    "audit_entries": _l("Audit log entries about you"),
    "requests": _l("Your data-protection requests"),
    "data_downloads": _l("Files of your data you asked for"),
    "staff_actions": _l("What you did as staff"),
    # fields
    "id": _l("Identifier"),
    "email": _l("E-mail address"),
    "name": _l("Name"),
    "country": _l("Country"),
    "preferred_language": _l("Preferred language"),
    "language": _l("Language"),
    "time_zone": _l("Time zone"),
    "administrator": _l("Administrator"),
    "active": _l("Active"),
    "has_password": _l("Has a password"),
    "linked_to_host_user": _l("Linked to a user of the host site"),
    "registered_at": _l("Registered at"),
    "changed_at": _l("Last changed at"),
    "last_login_at": _l("Last log-in at"),
    "institution": _l("Institution"),
    "role": _l("Role"),
    "since": _l("Since"),
    "course": _l("Course"),
    "course_code": _l("Course code"),
    "run": _l("Course run"),
    "run_start": _l("Run starts"),
    "run_end": _l("Run ends"),
    "state": _l("State"),
    "reason": _l("Reason"),
    "enrolled_at": _l("Enrolled at"),
    "history": _l("History"),
    "from": _l("From"),
    "to": _l("To"),
    "at": _l("At"),
    "by": _l("By"),
    "lessons_completed": _l("Lessons completed"),
    "lesson": _l("Lesson"),
    "last_visited": _l("Last visited"),
    "reported_by_platform": _l("Reported by the partner's platform"),
    "platform_statements": _l("Statements from the partner's platform"),
    "percent": _l("Percent complete"),
    "completed": _l("Completed"),
    "source": _l("Source"),
    "statement": _l("Statement"),
    "meaning": _l("Meaning"),
    "status": _l("Status"),
    "stored": _l("Stored at"),
    "home_page": _l("Platform address"),
    "linked_at": _l("Linked at"),
    "code": _l("Certificate code"),
    "name_on_certificate": _l("Name on the certificate"),
    "completed_at": _l("Completed at"),
    "issued_at": _l("Issued at"),
    "revoked_at": _l("Revoked at"),
    "revocation_reason": _l("Reason for revocation"),
    "name_and_email": _l("Name and e-mail address"),
    "completion": _l("Completion"),
    "agreed_at": _l("Agreed at"),
    "privacy_notice_version": _l("Privacy notice version"),
    "version": _l("Version"),
    "when": _l("When"),
    "failed_attempts": _l("Failed log-in attempts"),
    "address": _l("Network address"),
    "action": _l("Action"),
    "object": _l("Object"),
    "summary": _l("Summary"),
    "before": _l("Before"),
    "after": _l("After"),
    "kind": _l("Kind"),
    "received_at": _l("Received at"),
    "requested_at": _l("Requested at"),
    "ready_at": _l("Ready at"),
    "expires_at": _l("Expires at"),
    "downloaded_at": _l("Downloaded at"),
    "enrolment_decisions": _l("Enrolment decisions"),
    "course_reviews": _l("Course reviews"),
    "course_imports_requested": _l("Course imports you started"),
    "file": _l("File"),
    "rows": _l("Rows"),
    "api_tokens_created": _l("API tokens created"),
    "xapi_credentials_created": _l("xAPI credentials created"),
    "created_at": _l("Created at"),
    "updated_at": _l("Updated at"),
    "activity": _l("Activity"),
    "document_id": _l("Document identifier"),
    "content_type": _l("Content type"),
    "content": _l("Content"),
    "content_encoding": _l("Content encoding"),
    "certificates_revoked": _l("Certificates revoked"),
    "privacy_notices_published": _l("Privacy notices published"),
}

RECORD_CONTENTS = ("before", "after")
"""Keys whose values are stored records (an audit entry's columns), shown as they are."""


def data_label(key: str) -> str:
    """The label of a field of the document; a key inside a stored record keeps its name."""
    label = DATA_LABELS.get(key)
    return key.replace("_", " ") if label is None else str(label)


def field_names(document: Any) -> dict[str, str]:
    """Every field of ``document`` (outside stored records) with its label."""
    found: dict[str, str] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                found.setdefault(key, data_label(key))
                if key not in RECORD_CONTENTS:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    return dict(sorted(found.items()))
