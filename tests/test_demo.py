from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from mooc_portal.accounts.models import Account, StaffRole
from mooc_portal.accounts.services import authenticate
from mooc_portal.catalog.availability import Availability
from mooc_portal.catalog.models import (
    Course,
    CourseRun,
    CourseSearchDocument,
    CourseStatus,
    Credential,
    Level,
    Pace,
)
from mooc_portal.db import utcnow
from mooc_portal.demo import DEMO_PASSWORD, load_demo_data
from mooc_portal.demo.peer import PEER_NAME, PEER_URL
from mooc_portal.federation.models import FederatedOrigin, HarvestRun, Peer
from mooc_portal.institutions.models import Institution
from mooc_portal.reference import ISCED_F, Region, region_of
from tests.factories import make_institution


def _count(db_session, model):
    return db_session.scalar(select(func.count()).select_from(model))


def test_demo_catalog_is_broad_and_relative_to_now(db_session):
    now = utcnow() + timedelta(days=400)  # dates follow the given clock, not the calendar
    summary = load_demo_data(now=now)

    # The summary counts the portal's own partners; the demo peer's come on top (tested below).
    federated = set(db_session.scalars(select(FederatedOrigin.institution_id)))
    institutions = [i for i in db_session.scalars(select(Institution)) if i.id not in federated]
    assert summary.institutions == len(institutions) >= 30
    countries = {i.country for i in institutions}
    assert summary.countries == len(countries) >= 20
    assert {region_of(c) for c in countries} == {Region.ASIA, Region.EUROPE}
    assert {i.region for i in institutions} == {"asia", "europe"}
    local_names = {t.language for i in institutions for t in i.translations}
    assert {"en", "ko", "ja", "zh", "fr", "de", "th", "vi"} <= local_names

    courses = [c for c in db_session.scalars(select(Course)) if c.institution_id not in federated]
    assert summary.courses == len(courses) >= 150
    runs = [r for c in courses for r in c.runs]
    assert summary.runs == len(runs) >= 250
    assert {run.availability(now) for run in runs} == set(Availability)
    assert any(r.capacity for r in runs) and any(r.requires_approval for r in runs)
    assert {r.delivery_mode for r in runs} == {"online", "blended"}

    statuses = Counter(c.status for c in courses)
    assert set(statuses) == set(CourseStatus)
    assert statuses[CourseStatus.PUBLISHED] > len(courses) * 0.7
    published = [c for c in courses if c.status == CourseStatus.PUBLISHED]
    public_states = {c.availability(now) for c in published}
    assert {Availability.OPEN, Availability.UPCOMING, Availability.IN_PROGRESS} <= public_states
    assert {c.level for c in courses} == set(Level)
    assert {c.pace for c in courses} == set(Pace)
    assert {c.credential for c in courses} == set(Credential)
    assert all(c.ects_credits > 0 for c in courses if c.credential == Credential.ECTS)
    teaching = {tag for c in courses for tag in c.teaching_languages}
    assert len(teaching) >= 6 and {"en", "ko", "ja", "zh", "fr", "de"} <= teaching
    subjects = {s.code for c in courses for s in c.subjects}
    assert len(subjects) >= 20 and subjects <= set(ISCED_F)
    assert len({c.slug for c in courses}) == len(courses)
    assert _count(db_session, CourseSearchDocument) == _count(db_session, Course)


def test_demo_has_an_account_for_every_role(db_session):
    from mooc_portal.privacy.models import Pseudonym

    summary = load_demo_data()
    # Every account a person uses (not the placeholder of the demo's erased account, nor the
    # learners of the enrolment history, who have no password).
    people = select(Account).where(
        Account.id.not_in(select(Pseudonym.account_id)), Account.password_hash.is_not(None)
    )
    accounts = {a.email: a for a in db_session.scalars(people).all()}
    assert db_session.scalar(select(func.count()).select_from(Pseudonym)) == 1
    _check_privacy_demo(db_session)
    listed = {a.email: a for a in summary.accounts}
    assert set(listed) == set(accounts)
    assert {a.password for a in summary.accounts} == {DEMO_PASSWORD}

    admins = [a for a in accounts.values() if a.is_admin]
    # Demo accounts are confirmed and their staff roles in force (no pending invitations).
    assert all(a.email_verified for a in accounts.values())
    assert all(m.accepted_at is not None for a in accounts.values() for m in a.memberships)
    roles = {m.role for a in accounts.values() for m in a.active_memberships}
    learners = [a for a in accounts.values() if not a.is_admin and not a.memberships]
    assert admins and roles == {StaffRole.MANAGER, StaffRole.EDITOR}
    assert len(learners) >= 3
    assert {region_of(a.country) for a in learners} == {Region.ASIA, Region.EUROPE}
    for account in (admins[0], learners[0]):
        assert authenticate(account.email, DEMO_PASSWORD) == account


def _check_privacy_demo(db_session):
    """A notice every demo account was shown, sharing choices, an access and an erasure."""
    from mooc_portal.enrollment.models import SharingConsent
    from mooc_portal.privacy.models import NoticeAcknowledgement, PrivacyNotice, PrivacyRequest

    assert db_session.scalar(select(func.count()).select_from(PrivacyNotice)) == 1
    acknowledged = db_session.scalar(
        select(func.count(func.distinct(NoticeAcknowledgement.account_id)))
    )
    assert acknowledged >= 10
    consents = db_session.scalars(select(SharingConsent)).all()
    assert any(not c.share_country for c in consents) and any(c.share_progress for c in consents)
    kinds = set(db_session.scalars(select(PrivacyRequest.kind)))
    assert kinds == {"access", "erasure"}
    # More than a page of them: the records of processing show their pager.
    assert db_session.scalar(select(func.count()).select_from(PrivacyRequest)) > 25


def test_demo_data_command_loads_once_and_lists_the_accounts(runner, client, db_session):
    from mooc_portal.signals import mail_sent

    sent = []
    with mail_sent.connected_to(lambda sender, message: sent.append(message)):
        result = runner.invoke(args=["portal", "demo-data", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert sent == []  # made-up learners get no mail
    for email in ("admin@asem-mooc.example", "manager.hanbit@asem-mooc.example"):
        assert email in result.output
    for role in ("administrator", "partner manager", "partner editor", "learner"):
        assert role in result.output
    assert DEMO_PASSWORD in result.output
    assert "/account/login" in result.output

    counts = [_count(db_session, m) for m in (Institution, Course, CourseRun, Account)]
    again = runner.invoke(args=["portal", "demo-data", "--if-empty"])
    assert again.exit_code == 0
    assert "not loaded" in again.output
    assert [_count(db_session, m) for m in (Institution, Course, CourseRun, Account)] == counts

    refused = runner.invoke(args=["portal", "demo-data"])
    assert refused.exit_code != 0
    assert "already loaded" in refused.output
    assert [_count(db_session, m) for m in (Institution, Course, CourseRun, Account)] == counts

    page = client.get("/institutions").get_data(as_text=True)
    assert '<optgroup label="Asia">' in page and '<optgroup label="Europe">' in page
    assert f"{counts[0]} partner institutions" in page
    assert page.count('<li class="partner-tile">') == min(counts[0], 24)
    assert client.get("/institutions/hanbit-national-university").status_code == 200


def test_if_empty_leaves_an_existing_catalog_alone(runner, db_session):
    make_institution("Our Own University", country="SG")
    result = runner.invoke(args=["portal", "demo-data", "--if-empty"])
    assert result.exit_code == 0
    assert _count(db_session, Institution) == 1
    assert _count(db_session, Course) == 0
    assert _count(db_session, Account) == 0


def test_demo_learners_have_outlines_enrolments_progress_and_certificates(db_session):
    from mooc_portal.catalog.outline import Lesson, LessonKind, Module
    from mooc_portal.certificates.models import Certificate
    from mooc_portal.enrollment.models import Enrollment, EnrollmentState
    from mooc_portal.privacy import export
    from mooc_portal.progress import services as progress
    from mooc_portal.progress.models import LessonVisit
    from mooc_portal.progress.services import reported_progress
    from mooc_portal.xapi.models import (
        ActivityMapping,
        OutcomeStatus,
        StatementOutcome,
        XapiCredential,
    )

    load_demo_data()
    published = db_session.scalars(
        select(Course).where(Course.status == CourseStatus.PUBLISHED)
    ).all()
    with_outline = set(db_session.scalars(select(Module.course_id)))
    # Harvested courses keep their outline at their origin.
    harvested = set(db_session.scalars(select(FederatedOrigin.course_id)))
    assert {c.id for c in published} - harvested <= with_outline
    lessons = db_session.scalars(select(Lesson)).all()
    assert {lesson.kind for lesson in lessons} == set(LessonKind)
    assert all(lesson.external_url for lesson in lessons if lesson.kind == LessonKind.EXTERNAL)
    assert any(lesson.content and "*" in lesson.content for lesson in lessons)
    assert any(not lesson.counts_toward_completion for lesson in lessons)
    # The video lessons' transcripts are translated: a Korean visitor reads the Korean one.
    videos = [lesson for lesson in lessons if lesson.video_url and lesson.transcript]
    assert videos and all(t.transcript for v in videos for t in v.translations)
    assert any(v.text("transcript", "ko").language == "ko" for v in videos)

    enrollments = db_session.scalars(select(Enrollment)).all()
    assert {e.state for e in enrollments} == set(EnrollmentState)
    assert all(e.reason for e in enrollments if e.state == EnrollmentState.REJECTED)
    assert all(e.transitions for e in enrollments)
    percents = {
        e.id: progress.progress_of(e).percent
        for e in enrollments
        if e.state in (EnrollmentState.ENROLLED, EnrollmentState.COMPLETED)
    }
    states = {e.id: e.state for e in enrollments}
    assert any(0 < p < 100 for p in percents.values())  # partial progress
    # A completion is every counted lesson done, or reported by the partner's platform (xAPI).
    reported = reported_progress(list(states))
    assert all(
        percents[i] == 100 or (i in reported and reported[i].completed)
        for i, s in states.items()
        if s == EnrollmentState.COMPLETED
    )
    assert _count(db_session, LessonVisit) > 0
    # The partner whose Moodle reports progress: credential, mapping, a learner at 65 % and one
    # completed from statements, and a statement waiting for a learner it does not know.
    assert _count(db_session, XapiCredential) == 1
    assert _count(db_session, ActivityMapping) == 1
    assert sorted((r.percent, r.completed) for r in reported.values()) == [(65, False), (100, True)]
    assert {r.source for r in reported.values()} == {"Moodle (demo)"}
    assert (
        db_session.scalar(
            select(func.count()).where(StatementOutcome.status == OutcomeStatus.UNKNOWN_LEARNER)
        )
        == 1
    )
    # Moodle's state document about the learner at 65 % is in that learner's data download.
    at_65 = next(i for i, r in reported.items() if r.percent == 65)
    learner = db_session.get(Enrollment, at_65).account
    assert [d["document_id"] for d in export.personal_data(learner)["platform_documents"]] == [
        "bookmark"
    ]

    certificates = db_session.scalars(select(Certificate)).all()
    assert sum(c.is_valid for c in certificates) >= 1
    assert sum(not c.is_valid for c in certificates) == 1
    assert all(states[c.enrollment_id] == EnrollmentState.COMPLETED for c in certificates)
    learners = {e.account_id for e in enrollments}
    assert len(learners) >= 6

    # A run cancelled under three learners (the demo-data command sends them no mail).
    cancelled = [e for e in enrollments if e.state == EnrollmentState.CANCELLED]
    assert len(cancelled) == 3 and len({e.run_id for e in cancelled}) == 1
    assert cancelled[0].run.cancelled


def test_every_demo_manager_has_enrolments_to_review_in_several_states(db_session):
    from mooc_portal.enrollment.models import EnrollmentState
    from mooc_portal.enrollment.review import ReviewFilter, review_query
    from mooc_portal.progress import services as progress

    load_demo_data()
    managers = [
        a
        for a in db_session.scalars(select(Account))
        if any(m.role == StaffRole.MANAGER for m in a.memberships)
    ]
    assert {"manager.hanbit@asem-mooc.example", "manager.rheinland@asem-mooc.example"} <= {
        m.email for m in managers
    }
    for manager in managers:
        enrollments = db_session.scalars(
            review_query(manager, ReviewFilter(), scope="partner")
        ).all()
        states = {e.state for e in enrollments}
        wanted = {EnrollmentState.PENDING, EnrollmentState.WAITLISTED, EnrollmentState.ENROLLED}
        assert wanted <= states, (manager.email, states)
        assert any(
            progress.progress_of(e).percent > 0
            for e in enrollments
            if e.state == EnrollmentState.ENROLLED
        ), manager.email


def test_demo_registers_a_disabled_peer_whose_courses_show_their_origin(client, db_session):
    load_demo_data()
    peer = db_session.scalar(select(Peer))
    assert (peer.name, peer.base_url, peer.enabled) == (PEER_NAME, PEER_URL, False)
    run = db_session.scalar(select(HarvestRun).where(HarvestRun.peer_id == peer.id))
    assert run.status == "succeeded" and run.created == 5 and run.rejected == 0
    origins = db_session.scalars(
        select(FederatedOrigin).where(FederatedOrigin.course_id.is_not(None))
    ).all()
    assert len(origins) == 3
    assert all(o.origin_url.startswith(f"{PEER_URL}/courses/") for o in origins)

    # Public and searchable like any course, shown "From <peer>", enrolled in at the origin.
    listing = client.get("/courses", query_string={"q": "arctic climate"}).get_data(as_text=True)
    assert "Arctic Climate Science" in listing
    assert f"From {PEER_NAME}" in listing
    arctic = db_session.get(Course, next(o.course_id for o in origins if "arctic" in o.origin_url))
    page = client.get(f"/courses/{arctic.slug}").get_data(as_text=True)
    assert f'href="{PEER_URL}/courses/arctic-climate-science"' in page
    assert "Log in to enrol" not in page
    # The portal's own API does not publish again what it harvested.
    assert client.get("/api/v1/courses", query_string={"q": "arctic"}).get_json()["items"] == []


def test_korean_translated_demo_courses_show_a_korean_syllabus(client, db_session):
    from mooc_portal.catalog.models import CourseTranslation

    load_demo_data()
    courses = db_session.scalars(
        select(Course)
        .join(CourseTranslation)
        .where(
            Course.status == CourseStatus.PUBLISHED,
            CourseTranslation.language == "ko",
            ~Course.id.in_(
                select(FederatedOrigin.course_id).where(FederatedOrigin.course_id.is_not(None))
            ),
        )
        .order_by(Course.id)
    ).all()
    assert courses
    for course in courses:
        html = client.get(f"/courses/{course.slug}", headers={"Accept-Language": "ko"})
        text = html.get_data(as_text=True)
        assert "<h3>시작하기</h3>" in text and "<span>교수진 인터뷰</span>" in text, course.slug
        assert "Getting started" not in text
        text = client.get(f"/courses/{course.slug}").get_data(as_text=True)
        assert "시작하기" not in text
        assert "<h3>Getting started</h3>" in text, course.slug  # English: translated or original


def test_demo_admin_lists_have_more_than_one_page(client, auth, db_session):
    load_demo_data()
    auth.login("admin@asem-mooc.example", DEMO_PASSWORD)
    for path in ("/admin/certificates", "/admin/institutions"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert 'rel="next"' in page.get_data(as_text=True), path
