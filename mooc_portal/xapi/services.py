"""What the other domains and the pages ask of the xAPI domain: activity mappings, linked
platform accounts, the progress partner platforms reported, and the waiting statements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import delete, select

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import CourseRun
from mooc_portal.db import rowcount, session
from mooc_portal.enrollment import services as enrolment
from mooc_portal.errors import Conflict, InvalidInput, NotFound
from mooc_portal.pagination import Page, PageRequest, paginate
from mooc_portal.xapi import progress, validation
from mooc_portal.xapi.models import (
    ActivityMapping,
    LearnerLink,
    OutcomeStatus,
    StatementOutcome,
    XapiDocument,
    XapiErasure,
    XapiStatement,
    XapiStatementLink,
)
from mooc_portal.xapi.statements import activity_hash, agent_hash
from mooc_portal.xapi.validation import StatementInvalid

WAITING = (OutcomeStatus.UNKNOWN_LEARNER, OutcomeStatus.NOT_ENROLLED)


# -- activity mappings -------------------------------------------------------------------------


@dataclass
class RunMapping:
    """The activities a run answers to: its default IRI and the partner's own mappings."""

    run: CourseRun
    default_activity_id: str
    mappings: list[ActivityMapping]


def run_mapping(run: CourseRun, *, actor: Account | None) -> RunMapping:
    """Raises NotPermitted unless ``actor`` manages the run."""
    enrolment.require_run_manager(actor, run)
    mappings = session.scalars(
        select(ActivityMapping)
        .where(ActivityMapping.run_id == run.id)
        .order_by(ActivityMapping.lesson_id.is_not(None), ActivityMapping.id)
    ).all()
    return RunMapping(run, progress.default_activity_id(run), list(mappings))


def add_mapping(
    run: CourseRun, activity_id: str, *, actor: Account | None, lesson_id: int | None = None
) -> ActivityMapping:
    """Let ``activity_id`` (an IRI of the partner's platform) stand for ``run`` or one of its
    lessons. Raises NotPermitted, InvalidInput (not an IRI, no such lesson) and Conflict
    (the IRI already stands for something of the institution)."""
    enrolment.require_run_manager(actor, run)
    activity_id = (activity_id or "").strip()
    try:
        validation.check_iri(activity_id, "activity_id")
    except StatementInvalid:
        raise InvalidInput(
            _("Give the activity's IRI, e.g. https://courses.example.org/course/1."),
            field="activity_id",
        ) from None
    if len(activity_id) > 2048:
        raise InvalidInput(_("The IRI is too long (2048 characters at most)."), field="activity_id")
    if lesson_id is not None and progress.lesson_of_run(run, lesson_id) is None:
        raise InvalidInput(_("No such lesson in this course."), field="lesson_id")
    institution_id = run.course.institution_id
    key = activity_hash(activity_id)
    taken = session.scalar(
        select(ActivityMapping.id).where(
            ActivityMapping.institution_id == institution_id, ActivityMapping.activity_hash == key
        )
    )
    if taken is not None:
        raise Conflict(_("This activity is already mapped."), field="activity_id")
    mapping = ActivityMapping(
        institution_id=institution_id,
        run_id=run.id,
        lesson_id=lesson_id,
        activity_id=activity_id,
        activity_hash=key,
    )
    session.add(mapping)
    session.flush()
    return mapping


def remove_mapping(run: CourseRun, mapping_id: int, *, actor: Account | None) -> None:
    """Statements already applied stay applied; new ones about the IRI no longer count."""
    enrolment.require_run_manager(actor, run)
    mapping = session.get(ActivityMapping, mapping_id)
    if mapping is None or mapping.run_id != run.id:
        raise NotFound(_("No such mapping."))
    session.delete(mapping)
    session.flush()


# -- the learner's platform accounts -----------------------------------------------------------


def learner_links(account: Account) -> list[LearnerLink]:
    return list(
        session.scalars(
            select(LearnerLink).where(LearnerLink.account_id == account.id).order_by(LearnerLink.id)
        )
    )


def link_platform_account(account: Account, home_page: str, name: str) -> tuple[LearnerLink, int]:
    """Link the learner's user account on a partner platform (xAPI ``account``: the
    platform's home page and the user id there); statements waiting for it are applied.
    Returns the link and how many waiting statements were applied. Raises InvalidInput and
    Conflict (already linked, to this or another portal account)."""
    home_page, name = (home_page or "").strip(), (name or "").strip()
    try:
        validation.check_iri(home_page, "home_page")
    except StatementInvalid:
        raise InvalidInput(
            _("Give the platform's address, e.g. https://courses.example.org."), field="home_page"
        ) from None
    if not name or len(name) > 255 or len(home_page) > 2048:
        raise InvalidInput(_("Give your user name or id on that platform."), field="name")
    key = agent_hash({"account": {"homePage": home_page, "name": name}})
    if session.scalar(select(LearnerLink.id).where(LearnerLink.agent_hash == key)) is not None:
        raise Conflict(_("This platform account is already linked."), field="name")
    link = LearnerLink(account_id=account.id, home_page=home_page, name=name, agent_hash=key)
    session.add(link)
    session.flush()
    return link, progress.apply_waiting(account)


def unlink_platform_account(account: Account, link_id: int) -> None:
    """Statements already applied stay applied."""
    deleted = session.execute(
        delete(LearnerLink).where(LearnerLink.id == link_id, LearnerLink.account_id == account.id)
    )
    if not rowcount(deleted):
        raise NotFound(_("No such linked account."))


# -- what the platforms reported ---------------------------------------------------------------


def waiting_statements(
    run: CourseRun, *, actor: Account | None, page: PageRequest
) -> Page[StatementOutcome]:
    """One page of the statements about the run that wait for their learner, newest first
    (each outcome loads its statement in the same query)."""
    enrolment.require_run_manager(actor, run)
    return paginate(
        select(StatementOutcome)
        .where(StatementOutcome.run_id == run.id, StatementOutcome.status.in_(WAITING))
        .order_by(StatementOutcome.statement_pk.desc()),
        page,
    )


def on_enrolment_changed(
    sender: Any, enrollment: Any, previous_state: str | None = None, **_kwargs: Any
) -> None:
    """A new learner of a run: apply the statements that waited for them."""
    if enrollment.state == progress.S.ENROLLED and previous_state != progress.S.COMPLETED:
        progress.apply_waiting(enrollment.account)


def install_receivers(app: Flask) -> None:
    """Called by ``MoocPortal.init_app``: waiting statements follow ``app``'s new enrolments."""
    from mooc_portal.signals import enrolment_changed

    enrolment_changed.connect(on_enrolment_changed, sender=app)


def erase_learner(account: Account) -> int:
    """Erasure: delete every statement about the learner (named by any of their identities,
    or holding their e-mail address anywhere), with what it indexed and what it caused, and
    the state and agent profile documents stored under their identities.
    The only time a stored statement goes; the progress figures already reported stay.
    Returns how many statements were deleted."""
    hashes = progress.account_agent_hashes(account)
    about = select(XapiStatementLink.statement_pk).where(XapiStatementLink.key_hash.in_(hashes))
    doomed = set(session.scalars(about))
    doomed.update(
        session.scalars(
            select(XapiStatement.id).where(XapiStatement.document.contains(account.email))
        )
    )
    doomed.update(
        session.scalars(
            select(StatementOutcome.statement_pk).where(StatementOutcome.agent_hash.in_(hashes))
        )
    )
    if doomed:
        ids = list(doomed)
        session.execute(delete(StatementOutcome).where(StatementOutcome.statement_pk.in_(ids)))
        session.execute(delete(XapiStatementLink).where(XapiStatementLink.statement_pk.in_(ids)))
        # The database lets a statement go only inside an erasure (migration 0022x).
        marker = XapiErasure()
        session.add(marker)
        session.flush()
        session.execute(delete(XapiStatement).where(XapiStatement.id.in_(ids)))
        session.delete(marker)
    # The state and agent profile documents platforms keep about the learner.
    session.execute(delete(XapiDocument).where(XapiDocument.agent_hash.in_(hashes)))
    session.execute(delete(LearnerLink).where(LearnerLink.account_id == account.id))
    session.flush()
    return len(doomed)


def learner_documents(account: Account) -> list[XapiDocument]:
    """The state and agent profile documents partner platforms stored about ``account``
    (under any of its identities), oldest first."""
    hashes = progress.account_agent_hashes(account)
    return list(
        session.scalars(
            select(XapiDocument)
            .where(XapiDocument.agent_hash.in_(hashes))
            .order_by(XapiDocument.id)
        )
    )
