"""Build test data. Each factory flushes, so the object has its ids; nothing commits."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from werkzeug.security import generate_password_hash

from mooc_portal.accounts.models import Account, Membership, StaffRole
from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
    CourseRun,
    CourseStatus,
    CourseSubject,
    CourseTranslation,
    LanguageKind,
)
from mooc_portal.db import session, utcnow
from mooc_portal.institutions.models import Institution, InstitutionTranslation
from mooc_portal.reference import region_of

PASSWORD = "correct horse battery"
_PASSWORD_HASH: dict[str, str] = {}
_seq = itertools.count(1)


def password_hash(password: str = PASSWORD) -> str:
    # Hashing is slow on purpose; tests share one hash per password.
    if password not in _PASSWORD_HASH:
        _PASSWORD_HASH[password] = generate_password_hash(password)
    return _PASSWORD_HASH[password]


def make_institution(
    name: str | None = None,
    *,
    country: str = "KR",
    slug: str | None = None,
    names: dict[str, str] | None = None,
    original_language: str = "en",
    **fields: Any,
) -> Institution:
    n = next(_seq)
    name = name or f"University {n}"
    institution = Institution(
        slug=slug or f"university-{n}",
        country=country,
        region=region_of(country).value,
        original_language=original_language,
        **fields,
    )
    for language, text in (names or {original_language: name}).items():
        institution.translations.append(InstitutionTranslation(language=language, name=text))
    session.add(institution)
    session.flush()
    return institution


def make_course(
    title: str | None = None,
    *,
    institution: Institution | None = None,
    status: str = CourseStatus.PUBLISHED,
    titles: dict[str, str] | None = None,
    summary: str = "A course for testing.",
    original_language: str = "en",
    teaching_languages: tuple[str, ...] = ("en",),
    subtitle_languages: tuple[str, ...] = (),
    subjects: tuple[str, ...] = ("0613",),
    runs: int = 0,
    **fields: Any,
) -> Course:
    n = next(_seq)
    institution = institution or make_institution()
    title = title or f"Course {n}"
    course = Course(
        institution=institution,
        code=fields.pop("code", f"C{n:04d}"),
        slug=fields.pop("slug", f"course-{n}"),
        original_language=original_language,
        status=status,
        published_at=utcnow() if status == CourseStatus.PUBLISHED else None,
        effort_hours=fields.pop("effort_hours", Decimal("4")),
        length_weeks=fields.pop("length_weeks", 6),
        **fields,
    )
    for language, text in (titles or {original_language: title}).items():
        course.translations.append(
            CourseTranslation(language=language, title=text, summary=summary)
        )
    for position, tag in enumerate(teaching_languages):
        course.languages.append(
            CourseLanguage(kind=LanguageKind.TEACHING, language=tag, position=position)
        )
    for position, tag in enumerate(subtitle_languages):
        course.languages.append(
            CourseLanguage(kind=LanguageKind.SUBTITLE, language=tag, position=position)
        )
    for code in subjects:
        course.subjects.append(CourseSubject(code=code))
    session.add(course)
    session.flush()
    for _ in range(runs):
        make_run(course)
    index(course)
    return course


def index(course: Course) -> None:
    """Keep the search index in step, as the catalog services do for real edits."""
    from mooc_portal.catalog import search

    search.index_course(course)


def make_run(
    course: Course,
    *,
    start: datetime | str | None = "default",
    weeks: int = 6,
    **fields: Any,
) -> CourseRun:
    now = utcnow()
    start_at = now + timedelta(days=14) if start == "default" else start
    end_at = fields.pop("end_at", start_at + timedelta(weeks=weeks) if start_at else None)
    run = CourseRun(course=course, start_at=start_at, end_at=end_at, **fields)
    session.add(run)
    session.flush()
    return run


def make_account(
    email: str | None = None,
    *,
    password: str = PASSWORD,
    is_admin: bool = False,
    memberships: dict[Institution, str] | None = None,
    **fields: Any,
) -> Account:
    n = next(_seq)
    fields.setdefault("email_verified_at", utcnow())
    account = Account(
        email=(email or f"learner{n}@example.org").lower(),
        display_name=fields.pop("display_name", f"Learner {n}"),
        password_hash=password_hash(password),
        is_admin=is_admin,
        **fields,
    )
    for institution, role in (memberships or {}).items():
        account.memberships.append(
            Membership(institution=institution, role=StaffRole(role), accepted_at=utcnow())
        )
    session.add(account)
    session.flush()
    return account


def make_federated_course(
    title: str | None = None, *, peer_name: str = "Peer Portal", **fields: Any
) -> Course:
    """A course harvested from the peer ``peer_name`` (made if missing), with its origin rows."""

    from sqlalchemy import select

    from mooc_portal.federation.models import FederatedOrigin, Peer, ResourceType

    peer = session.scalar(select(Peer).where(Peer.name == peer_name))
    if peer is None:
        peer = Peer(name=peer_name, base_url="https://peer.example.org", enabled=False)
        session.add(peer)
        session.flush()
    institution = fields.pop("institution", None) or make_institution()
    institution.harvested_from = peer_name
    course = make_course(title, institution=institution, **fields)
    course.origin_url = f"https://peer.example.org/courses/{course.id}"
    for kind, column, id_ in (
        (ResourceType.INSTITUTION, "institution_id", institution.id),
        (ResourceType.COURSE, "course_id", course.id),
    ):
        if not session.scalar(
            select(FederatedOrigin.id).where(getattr(FederatedOrigin, column) == id_)
        ):
            session.add(
                FederatedOrigin(
                    peer_id=peer.id,
                    resource_type=kind,
                    resource_uuid=(
                        institution if kind == ResourceType.INSTITUTION else course
                    ).uuid,
                    origin_url=f"https://peer.example.org/{kind}s/{id_}",
                    **{column: id_},
                )
            )
    session.flush()
    return course
