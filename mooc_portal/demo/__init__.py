"""The demo catalog: realistic partners, courses, runs and one account per role.

``load_demo_data()`` (run by ``flask portal demo-data``, which ``make run`` calls on an empty
database) builds it in a few seconds. It is deterministic (a seeded random generator) and
every date is relative to ``now``, so the catalog always has runs open for enrolment, starting
soon, in progress, archived and to be scheduled.

The loader runs the steps in :data:`STEPS` in order, each given the shared
:class:`DemoContext`. A feature that needs demo data of its own (course outlines, enrolments,
certificates, peers, API tokens) adds a step at the end of that tuple, reading what the earlier
steps built from the context and recording any account it creates with ``context.add_account``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.accounts.services import add_membership, make_admin, register_account
from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
    CourseRun,
    CourseStatus,
    CourseSubject,
    CourseTranslation,
    Credential,
    DeliveryMode,
    LanguageKind,
    Level,
    Pace,
)
from mooc_portal.catalog.search import index_course
from mooc_portal.db import session, utcnow
from mooc_portal.demo.data import (
    INSTITUTIONS,
    LEARNERS,
    LOCAL_SUMMARIES,
    STAFF,
    TOPICS,
    InstitutionSpec,
    Topic,
)
from mooc_portal.demo.history import add_enrolment_history
from mooc_portal.demo.learning import add_learning
from mooc_portal.demo.peer import add_demo_peer
from mooc_portal.demo.pictures import add_logos, add_pictures
from mooc_portal.demo.privacy import add_privacy
from mooc_portal.demo.recognition import add_recognition
from mooc_portal.demo.xapi import add_xapi
from mooc_portal.errors import Conflict
from mooc_portal.institutions.models import Institution, InstitutionTranslation
from mooc_portal.reference import region_of
from mooc_portal.slugs import slugify

DEMO_PASSWORD = "asem-mooc-demo"
"""The password of every demo account (documented in the README and printed by the command)."""

DEMO_SEED = 20240901
EMAIL_DOMAIN = "asem-mooc.example"


@dataclass(frozen=True)
class DemoAccount:
    """A demo account as the command prints it."""

    email: str
    role: str
    password: str
    note: str = ""


@dataclass(frozen=True)
class DemoSummary:
    """What the loader created."""

    institutions: int
    countries: int
    courses: int
    runs: int
    accounts: tuple[DemoAccount, ...]


@dataclass
class DemoContext:
    """What the steps share: the clock, the random generator and what was built so far."""

    now: datetime
    rng: random.Random
    institutions: dict[str, Institution] = field(default_factory=dict)
    courses: list[Course] = field(default_factory=list)
    accounts: dict[str, Account] = field(default_factory=dict)
    listed_accounts: list[DemoAccount] = field(default_factory=list)

    def add_account(self, account: Account, role: str, note: str = "") -> None:
        self.accounts[account.email] = account
        self.listed_accounts.append(DemoAccount(account.email, role, DEMO_PASSWORD, note))


# --------------------------------------------------------------------------------------------
# Partner institutions
# --------------------------------------------------------------------------------------------


def _add_institutions(context: DemoContext) -> None:
    for spec in INSTITUTIONS:
        domain = re.sub(r"[^a-z]", "", spec.short_name.lower()) + "." + spec.country.lower()
        english = InstitutionTranslation(
            language="en",
            name=spec.name,
            short_name=spec.short_name,
            description=(
                f"{spec.name} is a partner institution in {spec.city}. It contributes courses "
                f"in {spec.strengths} to the ASEM MOOC initiative, open to learners from every "
                "ASEM country."
            ),
        )
        institution = Institution(
            slug=spec.slug,
            country=spec.country,
            region=region_of(spec.country).value,
            original_language=spec.language if spec.local_name else "en",
            website=f"https://www.{domain}.example",
            contact_email=f"mooc@{domain}.example",
            translations=[english],
        )
        if spec.local_name:
            institution.translations.append(
                InstitutionTranslation(
                    language=spec.language,
                    name=spec.local_name,
                    short_name=spec.local_short_name,
                    description=spec.local_description,
                )
            )
        session.add(institution)
        context.institutions[spec.slug] = institution
    session.flush()


# --------------------------------------------------------------------------------------------
# Courses and runs
# --------------------------------------------------------------------------------------------

COURSE_COUNT = 150
# Every course's availability comes from its newest run; earlier runs are archived.
RUN_STATES = ("open", "open", "upcoming", "in_progress", "open", "to_be_scheduled", "upcoming")
STATUSES = (
    (CourseStatus.PUBLISHED, 85),
    (CourseStatus.DRAFT, 6),
    (CourseStatus.IN_REVIEW, 5),
    (CourseStatus.WITHDRAWN, 4),
)


def _add_courses(context: DemoContext) -> None:
    rng = context.rng
    institutions = list(context.institutions.values())
    specs = {spec.slug: spec for spec in INSTITUTIONS}
    per_institution, extra = divmod(COURSE_COUNT, len(institutions))
    number = 0
    for position, institution in enumerate(institutions):
        spec = specs[institution.slug]
        count = per_institution + (1 if position < extra else 0)
        # Topics translated into the institution's language first, as a partner would offer.
        local = [t for t in TOPICS if spec.language in t.titles]
        others = [t for t in TOPICS if spec.language not in t.titles]
        rng.shuffle(local)
        rng.shuffle(others)
        for index, topic in enumerate((local[: count - 1] + others)[:count]):
            context.courses.append(
                _make_course(context, institution, spec, topic, number, 101 + index)
            )
            number += 1
    session.flush()
    for course in context.courses:
        index_course(course)


def _make_course(
    context: DemoContext,
    institution: Institution,
    spec: InstitutionSpec,
    topic: Topic,
    number: int,
    code_number: int,
) -> Course:
    rng, now = context.rng, context.now
    local_title = topic.titles.get(spec.language)
    in_local_language = local_title is not None and rng.random() < 0.8
    if in_local_language:
        original, teaching = spec.language, [spec.language]
        if rng.random() < 0.25:
            teaching.append("en")  # bilingual
        subtitles = ["en"]
    else:
        original, teaching = "en", ["en"]
        subtitles = [spec.language] if spec.language != "en" and rng.random() < 0.5 else []
        if rng.random() < 0.2:
            subtitles.append(rng.choice(["zh", "ko", "fr", "es"]))
    subtitles = [s for s in dict.fromkeys(subtitles) if s not in teaching]

    credential = rng.choices(
        [Credential.NONE, Credential.CERTIFICATE, Credential.ECTS], weights=[35, 45, 20]
    )[0]
    status = rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
    if number < 4:
        # The first courses are Hanbit National University's, where demo staff work: they
        # cover every review state whatever the draw.
        status = (
            CourseStatus.DRAFT,
            CourseStatus.IN_REVIEW,
            CourseStatus.WITHDRAWN,
            CourseStatus.PUBLISHED,
        )[number]
    pace = Pace.SELF_PACED if rng.random() < 0.3 else Pace.INSTRUCTOR_LED
    created = now - timedelta(days=rng.randint(30, 900))
    published_at = None
    if status in (CourseStatus.PUBLISHED, CourseStatus.WITHDRAWN):
        published_at = min(created + timedelta(days=rng.randint(3, 30)), now)

    course = Course(
        institution=institution,
        code=f"{re.sub(r'[^A-Z]', '', spec.short_name.upper())}-{code_number}",
        slug=f"{slugify(topic.title)}-{slugify(spec.short_name)}",
        original_language=original,
        level=list(Level)[number % 3],
        pace=pace,
        effort_hours=Decimal(rng.choice(["2", "3", "4", "5", "6", "8", "2.5"])),
        length_weeks=rng.choice([4, 5, 6, 8, 10, 12]),
        credential=credential,
        ects_credits=Decimal(rng.choice([1, 2, 3, 4, 5, 6]))
        if credential == Credential.ECTS
        else None,
        status=status,
        published_at=published_at,
        created_at=created,
        modified_at=published_at or created,
    )
    course.translations.append(_english_text(topic, spec))
    if local_title is not None:
        course.translations.append(
            CourseTranslation(
                language=spec.language,
                title=local_title,
                summary=LOCAL_SUMMARIES.get(spec.language),
            )
        )
    for position, tag in enumerate(teaching):
        course.languages.append(
            CourseLanguage(kind=LanguageKind.TEACHING, language=tag, position=position)
        )
    for position, tag in enumerate(subtitles):
        course.languages.append(
            CourseLanguage(kind=LanguageKind.SUBTITLE, language=tag, position=position)
        )
    for code in dict.fromkeys(topic.subjects):
        course.subjects.append(CourseSubject(code=code))
    for run in _runs_for(context, course, number):
        course.runs.append(run)
    session.add(course)
    return course


def _english_text(topic: Topic, spec: InstitutionSpec) -> CourseTranslation:
    return CourseTranslation(
        language="en",
        title=topic.title,
        summary=topic.summary,
        description=(
            f"{topic.summary}\n\nThis course is offered by {spec.name} ({spec.city}) as part of "
            "the ASEM MOOC initiative. You learn through short videos, readings and quizzes, "
            "and discuss with learners from Asia and Europe in the course forum."
        ),
        learning_outcomes=(
            f"Explain the key concepts of {topic.title.lower()}.\n"
            "Apply them to real cases from Asian and European countries.\n"
            "Evaluate evidence and arguments, and communicate your conclusions clearly."
        ),
    )


def _runs_for(context: DemoContext, course: Course, number: int) -> list[CourseRun]:
    """1 to 3 runs: the newest in a state from RUN_STATES, earlier ones archived, some
    cancelled; together 265 runs for 150 courses."""
    rng = context.rng
    count = 1 + (number % 3 != 0) + (number % 10 == 0)
    weeks = course.length_weeks or 6
    if course.pace == Pace.SELF_PACED:
        newest = "self_paced" if number % 4 else "to_be_scheduled"
    else:
        newest = RUN_STATES[number % len(RUN_STATES)]
    states = ["archived"] * (count - 1) + [newest]
    if count > 1 and number % 7 == 0:
        states[-2] = "cancelled"
    runs = []
    for age, state in enumerate(reversed(states)):
        run = CourseRun(**_run_dates(context, state, weeks, age))
        if rng.random() < 0.25:
            run.capacity = rng.choice([5, 30, 50, 100, 250, 500])
        run.requires_approval = rng.random() < 0.15
        run.delivery_mode = DeliveryMode.BLENDED if rng.random() < 0.15 else DeliveryMode.ONLINE
        runs.append(run)
    return runs


def _run_dates(context: DemoContext, state: str, weeks: int, age: int) -> dict[str, object]:
    """Dates (and the cancelled flag) that give a run the wanted availability at ``now``."""
    rng = context.rng
    now = context.now.replace(minute=0, second=0, microsecond=0)
    length = timedelta(weeks=weeks)
    day = timedelta(days=1)
    if state == "to_be_scheduled":
        return {}
    if state == "self_paced":
        start = now - rng.randint(30, 400) * day
        return {"start_at": start, "enrollment_start_at": start - 14 * day}
    if state == "open":
        if rng.random() < 0.3:  # started, but learners may still join for a while
            start = now - rng.randint(1, 6) * day
            return {
                "start_at": start,
                "end_at": start + length,
                "enrollment_start_at": start - 30 * day,
                "enrollment_end_at": now + rng.randint(3, 10) * day,
            }
        start = now + rng.randint(5, 45) * day
        return {
            "start_at": start,
            "end_at": start + length,
            "enrollment_start_at": now - rng.randint(1, 30) * day,
            "enrollment_end_at": start + 14 * day,
        }
    if state in ("upcoming", "cancelled"):
        opens = now + rng.randint(5, 40) * day
        start = opens + rng.randint(14, 30) * day
        return {
            "start_at": start,
            "end_at": start + length,
            "enrollment_start_at": opens,
            "enrollment_end_at": start + 7 * day,
            "cancelled": state == "cancelled",
        }
    if state == "in_progress":
        start = now - rng.randint(7, max(8, weeks * 7 - 7)) * day
        return {
            "start_at": start,
            "end_at": max(start + length, now + 7 * day),
            "enrollment_start_at": start - 30 * day,
            "enrollment_end_at": start + 3 * day,
        }
    # archived: the older the run, the further back
    end = now - (rng.randint(10, 120) + 180 * age) * day
    start = end - length
    return {
        "start_at": start,
        "end_at": end,
        "enrollment_start_at": start - 30 * day,
        "enrollment_end_at": start + 7 * day,
    }


# --------------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------------
def demo_email(local_part: str) -> str:
    return f"{local_part}@{EMAIL_DOMAIN}"


def _add_accounts(context: DemoContext) -> None:
    admin = make_admin(demo_email("admin"), DEMO_PASSWORD, "Demo Administrator")
    context.add_account(admin, "administrator", "reviews courses, manages partners")
    for local_part, name, memberships, country in STAFF:
        account = register_account(
            demo_email(local_part), DEMO_PASSWORD, name, country=country, verified=True
        )
        for slug, role in memberships.items():
            add_membership(account, context.institutions[slug], role)
        roles = sorted({role.value for role in memberships.values()})
        names = ", ".join(
            context.institutions[slug].text("name", "en").text for slug in memberships
        )
        context.add_account(account, f"partner {'/'.join(roles)}", names)
    for local_part, name, country, language in LEARNERS:
        account = register_account(
            demo_email(local_part),
            DEMO_PASSWORD,
            name,
            country=country,
            preferred_language=language,
            verified=True,
        )
        context.add_account(account, "learner", f"from {country}")
    session.flush()


STEPS: tuple[Callable[[DemoContext], None], ...] = (
    _add_institutions,
    _add_courses,
    _add_accounts,
    add_learning,
    add_demo_peer,
    add_privacy,
    add_recognition,
    add_xapi,
    add_pictures,
    add_logos,
    add_enrolment_history,  # last: it rebuilds the insights summaries from everything above
)
"""The loader's steps, in order. Append a step to add demo data for a new feature."""


def has_institutions() -> bool:
    """Whether any partner institution exists (``--if-empty`` loads nothing then)."""
    return session.scalar(select(Institution.id).limit(1)) is not None


def load_demo_data(*, now: datetime | None = None, seed: int = DEMO_SEED) -> DemoSummary:
    """Build the demo catalog and accounts; flushes, the caller commits.

    Raises Conflict when the demo catalog (or an account with a demo e-mail) is already there.
    """
    slugs = [spec.slug for spec in INSTITUTIONS]
    if session.scalar(select(Institution.id).where(Institution.slug.in_(slugs)).limit(1)):
        raise Conflict("The demo catalog is already loaded.")
    context = DemoContext(now=now or utcnow(), rng=random.Random(seed))
    for step in STEPS:
        step(context)
    return DemoSummary(
        institutions=len(context.institutions),
        countries=len({i.country for i in context.institutions.values()}),
        courses=len(context.courses),
        runs=sum(len(course.runs) for course in context.courses),
        accounts=tuple(context.listed_accounts),
    )
