"""The data download covers every table that can hold a learner reference.

The schema is walked: every foreign key to the accounts table, and every foreign key into a
table whose rows belong to a learner (transitively). A new table with learner data fails here
until the registry, the download and erasure know it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, or_, select

import mooc_portal.models  # noqa: F401  (every table on the metadata)
from mooc_portal.accounts.models import Account
from mooc_portal.db import Base, session
from mooc_portal.privacy import export
from mooc_portal.privacy.registry import (
    ACCOUNT_REFERENCES,
    ACCOUNT_TABLE,
    BY_AGENT_HASH_TABLES,
    BY_EMAIL_TABLES,
    DEPENDENT_TABLES,
)
from mooc_portal.xapi.progress import account_agent_hashes


def references_to_accounts() -> set[tuple[str, str]]:
    return {
        (table.name, fk.parent.name)
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == ACCOUNT_TABLE and table.name != ACCOUNT_TABLE
    }


def references_through_owned_rows() -> set[tuple[str, str]]:
    """Foreign keys into learner-owned tables, and into the tables those reach, and so on."""
    frontier = {r.table for r in ACCOUNT_REFERENCES if r.owned}
    seen_tables = set(frontier)
    found: set[tuple[str, str]] = set()
    while frontier:
        reached = {
            (table.name, fk.parent.name)
            for table in Base.metadata.sorted_tables
            for fk in table.foreign_keys
            if fk.column.table.name in frontier
        }
        found |= reached
        frontier = {name for name, _column in reached} - seen_tables
        seen_tables |= frontier
    return found


def test_every_column_referring_to_an_account_is_in_the_registry():
    listed = {(r.table, r.column) for r in ACCOUNT_REFERENCES}
    unlisted = references_to_accounts() - listed
    assert not unlisted, (
        f"{sorted(unlisted)} refer to accounts: say in mooc_portal/privacy/registry.py which "
        "section of the data download holds them and what erasure does with them"
    )
    assert listed <= references_to_accounts(), "the registry lists columns that do not exist"


def test_every_table_reaching_a_learner_through_their_rows_is_in_the_registry():
    reached = references_through_owned_rows()
    unlisted = reached - set(DEPENDENT_TABLES) - {(r.table, r.column) for r in ACCOUNT_REFERENCES}
    assert not unlisted, (
        f"{sorted(unlisted)} hold learners' data through a learner's rows: add them to "
        "DEPENDENT_TABLES and to the data download"
    )
    assert set(DEPENDENT_TABLES) <= reached


# How many rows of each table the download shows (the document's own counts).
DOCUMENT_COUNTS: dict[str, Callable[[dict[str, Any]], int]] = {
    "mooc_membership": lambda d: len(d["memberships"]),
    "mooc_enrollment": lambda d: len(d["enrolments"]),
    "mooc_enrollment_transition": lambda d: (
        sum(len(e["history"]) for e in d["enrolments"])
        + len(d["staff_actions"]["enrolment_decisions"])
    ),
    "mooc_lesson_completion": lambda d: sum(len(p["lessons_completed"]) for p in d["progress"]),
    "mooc_lesson_visit": lambda d: sum(1 for p in d["progress"] if p["last_visited"]),
    "mooc_certificate": lambda d: (
        len(d["certificates"]) + len(d["staff_actions"]["certificates_revoked"])
    ),
    "mooc_audit_entry": lambda d: len(d["audit_entries"]),
    "mooc_review_event": lambda d: len(d["staff_actions"]["course_reviews"]),
    "mooc_api_token": lambda d: len(d["staff_actions"]["api_tokens_created"]),
    "mooc_privacy_notice": lambda d: len(d["staff_actions"]["privacy_notices_published"]),
    "mooc_notice_acknowledgement": lambda d: len(d["notices_shown"]),
    "mooc_sharing_consent": lambda d: len(d["consents"]),
    "mooc_privacy_request": lambda d: len(d["requests"]),
    "mooc_data_download": lambda d: len(d["data_downloads"]),
    "mooc_login_attempt": lambda d: len(d["login_history"]["failed_attempts"]),
    "mooc_xapi_credential": lambda d: len(d["staff_actions"]["xapi_credentials_created"]),
    "mooc_course_import": lambda d: len(d["staff_actions"]["course_imports_requested"]),
    "mooc_xapi_learner_link": lambda d: len(d["platform_accounts"]),
    "mooc_xapi_document": lambda d: len(d["platform_documents"]),
    "mooc_xapi_outcome": lambda d: sum(len(p["platform_statements"]) for p in d["progress"]),
    "mooc_xapi_reported_progress": lambda d: sum(
        1 for p in d["progress"] if p["reported_by_platform"]
    ),
}
PLACEHOLDER_ONLY = {r.table for r in ACCOUNT_REFERENCES if r.on_erasure == "placeholder"}


def learner_rows(table_name: str, account_id: int, email: str) -> int:
    """Rows of a table that refer to the learner, found from the schema alone."""
    table = Base.metadata.tables[table_name]
    conditions = []
    for fk in table.foreign_keys:
        column = table.c[fk.parent.name]
        target = fk.column.table.name
        if target == ACCOUNT_TABLE:
            conditions.append(column == account_id)
        elif (table_name, fk.parent.name) in DEPENDENT_TABLES:
            owner = next(r for r in ACCOUNT_REFERENCES if r.table == target and r.owned)
            owned = Base.metadata.tables[target]
            conditions.append(
                column.in_(select(owned.c.id).where(owned.c[owner.column] == account_id))
            )
    for (name, column_name), _section in BY_EMAIL_TABLES.items():
        if name == table_name:
            conditions.append(table.c[column_name] == email)
    for (name, column_name), _section in BY_AGENT_HASH_TABLES.items():
        if name == table_name:
            hashes = account_agent_hashes(session.get_one(Account, account_id))
            conditions.append(table.c[column_name].in_(hashes))
    return session.scalar(select(func.count()).select_from(table).where(or_(*conditions)))


def test_the_download_holds_every_row_of_every_learner_table(full_learner):
    learner = full_learner.account
    document = export.personal_data(learner)
    json.dumps(document)  # JSON-ready throughout
    tables = (
        {t for t, _c in references_to_accounts()}
        | {t for t, _c in references_through_owned_rows()}
        | {t for t, _c in BY_EMAIL_TABLES}
        | {t for t, _c in BY_AGENT_HASH_TABLES}
    ) - PLACEHOLDER_ONLY
    assert tables == set(DOCUMENT_COUNTS), "a learner table is not counted in the download"
    for table in sorted(tables):
        stored = learner_rows(table, learner.id, learner.email)
        assert stored > 0, f"the test learner has no row in {table}: extend make_full_learner"
        assert DOCUMENT_COUNTS[table](document) == stored, f"{table}: the download misses rows"


def test_the_download_says_what_a_learner_expects(full_learner):
    document = export.personal_data(full_learner.account)
    assert document["account"]["email"] == full_learner.values["email"]
    assert document["account"]["name"] == full_learner.values["name"]
    assert "password" not in json.dumps(document["account"]).replace("has_password", "")
    rejected = next(e for e in document["enrolments"] if e["state"] == "rejected")
    assert [h["to"] for h in rejected["history"]] == ["pending", "rejected"]
    assert rejected["history"][-1]["by"] == "staff"
    assert document["certificates"][0]["code"] == full_learner.certificate.code
    assert document["consents"][0]["country"] is False
    assert document["login_history"]["failed_attempts"][0]["address"] == "192.0.2.7"
