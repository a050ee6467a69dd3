"""A stored statement is immutable in the database too: a trigger (PostgreSQL, SQLite) refuses
to change its content or delete it, except for erasure, which is the one case where a
statement goes."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from mooc_portal.accounts.models import Account
from mooc_portal.xapi import services
from mooc_portal.xapi.models import XapiCredential, XapiStatement
from tests.factories import make_account
from tests.xapi.conftest import Partner, statement


@pytest.fixture
def stored(partner: Partner, db_session) -> XapiStatement:
    learner = make_account("immutable@example.org")
    db_session.commit()
    answer = partner.post(
        [statement(mbox=f"mailto:{learner.email}"), statement(mbox="mailto:other@example.org")]
    )
    assert answer.status_code == 200, answer.get_json()
    row = db_session.scalar(
        select(XapiStatement).where(XapiStatement.statement_id == uuid.UUID(answer.get_json()[0]))
    )
    assert row is not None
    return row


@pytest.mark.parametrize(
    "change",
    [
        {"document": '{"tampered": true}'},
        {"voiding": True},
        {"stored": func.now()},
        {"verb_hash": "0" * 64},
    ],
    ids=["document", "voiding", "stored", "verb"],
)
def test_the_database_refuses_to_change_a_stored_statement(stored, db_session, change):
    before = stored.document
    with pytest.raises(IntegrityError, match="immutable"), db_session.begin_nested():
        db_session.execute(
            update(XapiStatement).where(XapiStatement.id == stored.id).values(change)
        )
    db_session.expire_all()
    assert db_session.get_one(XapiStatement, stored.id).document == before


def test_the_database_refuses_to_delete_a_statement_outside_erasure(stored, db_session):
    with pytest.raises(IntegrityError, match="only by erasure"), db_session.begin_nested():
        db_session.execute(delete(XapiStatement).where(XapiStatement.id == stored.id))
    assert db_session.get(XapiStatement, stored.id) is not None


def test_a_revoked_and_deleted_credential_leaves_its_statements(stored, partner, db_session):
    # The one column that may change: the credential that stored it, when it is deleted.
    db_session.execute(delete(XapiCredential).where(XapiCredential.id == partner.credential.id))
    db_session.expire_all()
    kept = db_session.get_one(XapiStatement, stored.id)
    assert kept.credential_id is None
    assert json.loads(kept.document)["actor"]["mbox"] == "mailto:immutable@example.org"


def test_erasure_deletes_the_learners_statements_and_only_erasure_may(stored, db_session):
    learner = db_session.scalar(select(Account).where(Account.email == "immutable@example.org"))
    assert services.erase_learner(learner) == 1
    assert db_session.get(XapiStatement, stored.id) is None
    # The permission ends with the erasure: the other learner's statement stays protected.
    other = db_session.scalar(select(XapiStatement.id))
    assert other is not None
    with pytest.raises(IntegrityError, match="only by erasure"), db_session.begin_nested():
        db_session.execute(delete(XapiStatement).where(XapiStatement.id == other))
