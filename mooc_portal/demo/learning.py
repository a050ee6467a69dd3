"""Demo step: course outlines, the demo learners' enrolments, their progress and certificates.

Every published demo course gets an outline (modules of lessons with Markdown content, some
external activities). The demo learners then enrol through the real services, so that the data
is what the portal itself would have stored: one learner in each enrolment state (pending,
enrolled, waitlisted, rejected with its reason, withdrawn, completed), partial progress marked
through the progress service, certificates issued on completion, one certificate revoked, and a
run cancelled under three learners, who are offered the course's open run.

Enrolment runs on the real clock (the services check the enrolment window against it), so the
runs are chosen by their availability now; with a demo clock far from today fewer fit, and the
step enrols in what it can.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from mooc_portal.accounts.models import Account, StaffRole
from mooc_portal.catalog.availability import Availability
from mooc_portal.catalog.models import Course, CourseRun, CourseStatus, Credential
from mooc_portal.catalog.outline import (
    Lesson,
    LessonKind,
    LessonTranslation,
    Module,
    ModuleTranslation,
)
from mooc_portal.certificates.models import Certificate
from mooc_portal.certificates.services import revoke_certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import ACTIVE_STATES, Enrollment
from mooc_portal.progress import services as progress
from mooc_portal.publishing import services as publishing
from mooc_portal.publishing import validation

if TYPE_CHECKING:
    from mooc_portal.demo import DemoContext

MODULES = (
    (
        "Getting started",
        (
            ("Welcome and how this course works", LessonKind.VIDEO, 6),
            ("Key ideas of {title}", LessonKind.READING, 15),
            ("Check your understanding", LessonKind.QUIZ, 10),
        ),
    ),
    (
        "Perspectives from Asia and Europe",
        (
            ("Case study: two regions compared", LessonKind.READING, 25),
            ("Interview with the teaching team", LessonKind.VIDEO, 12),
            ("Open data lab", LessonKind.EXTERNAL, 30),
        ),
    ),
    (
        "Putting it into practice",
        (
            ("Project brief", LessonKind.ASSIGNMENT, 60),
            ("Further reading", LessonKind.READING, 20),
        ),
    ),
)
OPTIONAL_LESSONS = {"Further reading"}

CONTENT = """This lesson of *{title}* introduces the ideas the next lessons build on.

## Before you start

- Read the short text below, then watch or try the activity.
- Note one example from your own country to share in the discussion.
- Take about {minutes} minutes.

> Learning together across Asia and Europe means comparing how the same question is
> answered in different places.

See the [course page]({course_url}) for the schedule and the teaching team.
"""

# Korean module and lesson titles and content for the courses with a Korean translation.
KOREAN_MODULES = {
    "Getting started": "시작하기",
    "Perspectives from Asia and Europe": "아시아와 유럽의 관점",
    "Putting it into practice": "실천하기",
}
KOREAN_LESSONS = {
    "Welcome and how this course works": "환영합니다: 이 강좌의 진행 방식",
    "Key ideas of {title}": "{title}의 핵심 개념",
    "Check your understanding": "이해도 확인",
    "Case study: two regions compared": "사례 연구: 두 지역의 비교",
    "Interview with the teaching team": "교수진 인터뷰",
    "Open data lab": "오픈 데이터 실습",
    "Project brief": "프로젝트 안내",
    "Further reading": "더 읽을거리",
}
KOREAN_CONTENT = """이 레슨은 *{title}*에서 다음 레슨들의 바탕이 되는 개념을 소개합니다.

## 시작하기 전에

- 아래의 짧은 글을 읽은 다음 활동을 보거나 해 보세요.
- 토론에서 나눌 수 있도록 자기 나라의 사례를 하나 적어 두세요.
- 약 {minutes}분이 걸립니다.

> 아시아와 유럽이 함께 배운다는 것은 같은 질문에 여러 곳에서 어떻게 답하는지 비교하는
> 것입니다.

일정과 교수진은 [강좌 페이지]({course_url})에서 볼 수 있습니다.
"""

# The teaching team's interview plays in the page (YouTube in privacy-enhanced mode), with its
# transcript under it, in English and in Korean. (Blender's open film: a video anyone may show.)
INTERVIEW = "Interview with the teaching team"
INTERVIEW_VIDEO = "https://www.youtube.com/watch?v=aqz-KE-bpKQ"
TRANSCRIPT = """[Music]
Welcome to the interview with the teaching team of {title}.
We asked the team why they teach this course together from Asia and Europe.
"Because the same question is answered differently in each place, and comparing the answers
is where learning starts."
In the next lessons you will try this yourself with open data from both regions.
"""
KOREAN_TRANSCRIPT = """[음악]
{title} 교수진 인터뷰에 오신 것을 환영합니다.
교수진에게 왜 아시아와 유럽이 함께 이 강좌를 가르치는지 물었습니다.
"같은 질문에도 곳곳마다 답이 다르고, 그 답을 비교하는 데서 배움이 시작되기 때문입니다."
다음 레슨에서는 두 지역의 오픈 데이터로 직접 해 봅니다.
"""

REJECTION_REASON = "The run is reserved for students of partner universities this time."
REVOCATION_REASON = "Issued in error: the final assignment had not been assessed."


def add_learning(context: DemoContext) -> None:
    """Outlines for the published courses, then the demo learners' enrolments and progress."""
    published = [c for c in context.courses if c.status == CourseStatus.PUBLISHED]
    for course in published:
        _add_outline(course)
    session.flush()
    learners = [a for a in context.accounts.values() if not a.is_admin and not a.memberships]
    admin = next((a for a in context.accounts.values() if a.is_admin), None)
    if not learners or admin is None:
        return
    _enrol_learners(context, published, learners, admin)
    _give_managers_work(context, published, learners)
    _cancel_a_run(published, learners, admin)


def _add_outline(course: Course) -> None:
    """Modules and lessons in English, and in Korean when the course has a Korean title.

    The outline's own columns hold the course's original language, translations the other.
    """
    title = course.text("title", "en").text
    korean = any(t.language == "ko" for t in course.translations)
    korean_title = course.text("title", "ko").text
    in_korean = korean and course.original_language == "ko"
    other = "en" if in_korean else "ko"
    course_url = f"/courses/{course.slug}"
    base = course.institution.website or "https://mooc.example"
    for m, (module_title, lessons) in enumerate(MODULES):
        korean_module = KOREAN_MODULES[module_title]
        module = Module(
            course=course, title=korean_module if in_korean else module_title, position=m
        )
        if korean:
            module.translations.append(
                ModuleTranslation(
                    language=other,
                    title=module_title if in_korean else korean_module,
                )
            )
        for n, (pattern, kind, minutes) in enumerate(lessons):
            name = pattern.format(title=title)[:200]
            content = CONTENT.format(title=title, minutes=minutes, course_url=course_url)
            korean_name = KOREAN_LESSONS[pattern].format(title=korean_title)[:200]
            korean_content = KOREAN_CONTENT.format(
                title=korean_title, minutes=minutes, course_url=course_url
            )
            lesson = Lesson(
                title=korean_name if in_korean else name,
                kind=kind,
                minutes=minutes,
                position=n,
                counts_toward_completion=name not in OPTIONAL_LESSONS,
                content=korean_content if in_korean else content,
            )
            if korean:
                lesson.translations.append(
                    LessonTranslation(
                        language=other,
                        title=name if in_korean else korean_name,
                        content=content if in_korean else korean_content,
                    )
                )
            if pattern == INTERVIEW:
                # The transcript is translated too: a Korean visitor reads it in Korean.
                english = TRANSCRIPT.format(title=title)
                hangul = KOREAN_TRANSCRIPT.format(title=korean_title)
                original, translated = (hangul, english) if in_korean else (english, hangul)
                lesson.video_url = INTERVIEW_VIDEO
                lesson.transcript = original
                for translation in lesson.translations:
                    translation.transcript = translated
            if kind == LessonKind.EXTERNAL:
                lesson.external_url = f"{base}/mooc/{course.slug}/lab"
            module.lessons.append(lesson)
        session.add(module)


class _Pools:
    """Runs open for enrolment now, by kind, each course handed out once."""

    def __init__(self, courses: list[Course]) -> None:
        now = utcnow()
        self.started: list[CourseRun] = []
        self.not_started: list[CourseRun] = []
        self.approval: list[CourseRun] = []
        for course in courses:
            if not course.institution.active:
                continue
            run = next(
                (r for r in reversed(course.runs) if r.availability(now) is Availability.OPEN),
                None,
            )
            if run is None or (run.capacity is not None and run.capacity < 10):
                continue
            if run.requires_approval:
                self.approval.append(run)
            elif progress.has_started(run, now):
                self.started.append(run)
            else:
                self.not_started.append(run)

    @staticmethod
    def take(pool: list[CourseRun], *, certificate: bool | None = None) -> CourseRun | None:
        for index, run in enumerate(pool):
            offers = run.course.credential != Credential.NONE
            if certificate is None or offers == certificate:
                return pool.pop(index)
        return None


def _enrol(run: CourseRun | None, learner: Account) -> Enrollment | None:
    if run is None:
        return None
    return enrolment.enroll(run, learner, actor=learner)


def _learn(enrollment: Enrollment | None, share: float) -> None:
    """Mark the first ``share`` of the lessons complete and open the next one."""
    if enrollment is None:
        return
    lessons = progress.outline_of(enrollment.course_id).lessons
    count = round(len(lessons) * share)
    for lesson in lessons[:count]:
        progress.mark_complete(enrollment, lesson, actor=enrollment.account)
    visited = lessons[min(count, len(lessons) - 1)] if lessons else None
    if visited is not None:
        progress.record_visit(enrollment, visited, actor=enrollment.account)


def _each(items: list[Account], start: int, step: int) -> Iterator[Account]:
    return iter(items[start::step])


def _enrol_learners(
    context: DemoContext, courses: list[Course], learners: list[Account], admin: Account
) -> None:
    pools = _Pools(courses)
    completed: list[Enrollment] = []
    for i, learner in enumerate(learners):
        # Every learner: one course finished, two under way, one not started yet.
        done = _enrol(pools.take(pools.started, certificate=i != 4), learner)
        _learn(done, 1.0)
        if done is not None and done.state == "completed":
            completed.append(done)
        _learn(_enrol(pools.take(pools.started), learner), 0.25 + 0.1 * i)
        _learn(_enrol(pools.take(pools.started), learner), 0.6)
        _enrol(pools.take(pools.not_started), learner)
    for learner in _each(learners, 2, 3):  # turned down, with the reason
        refused = _enrol(pools.take(pools.approval), learner)
        if refused is not None and refused.state == "pending":
            enrolment.reject(refused, REJECTION_REASON, actor=admin)
    for learner in _each(learners, 1, 2):  # awaiting review
        _enrol(pools.take(pools.approval), learner)
    for learner in _each(learners, 0, 2):  # approved after review
        pending = _enrol(pools.take(pools.approval), learner)
        if pending is not None and pending.state == "pending":
            enrolment.approve(pending, actor=admin)
    for learner in _each(learners, 3, 2):  # changed their mind
        left = _enrol(pools.take(pools.not_started) or pools.take(pools.started), learner)
        if left is not None:
            enrolment.withdraw(left, actor=learner)
    # A full run: the organisers set one seat, the first learner takes it, the others wait.
    full = pools.take(pools.not_started)
    if full is not None and len(learners) > 2:
        enrolment.set_capacity(full, 1, actor=admin)
        for learner in (learners[-1], learners[1], learners[2]):
            _enrol(full, learner)
    certificates = session.scalars(
        select(Certificate)
        .where(Certificate.enrollment_id.in_([e.id for e in completed]))
        .order_by(Certificate.id)
    ).all()
    if len(certificates) > 1:
        revoke_certificate(certificates[-1], REVOCATION_REASON, actor=admin)
    session.flush()


def _give_managers_work(
    context: DemoContext, courses: list[Course], learners: list[Account]
) -> None:
    """Every demo manager has enrolments to review: their institution schedules three new runs
    (on the real clock, like enrolment) and the demo learners join them: two await approval,
    one full run has its seat taken and a waitlist, and a run under way has learners with
    progress."""
    if len(learners) < 5:
        return
    done: set[int] = set()
    for manager in context.accounts.values():
        for membership in manager.active_memberships:
            institution_id = membership.institution_id
            if membership.role != StaffRole.MANAGER or institution_id in done:
                continue
            done.add(institution_id)
            own = [c for c in courses if c.institution_id == institution_id]
            if not own:
                continue
            approval = _schedule(manager, own[0], 21, capacity=40, requires_approval=True)
            for learner in learners[:2]:
                _try_enrol(approval, learner)
            full = _schedule(manager, own[1 % len(own)], 28, capacity=1)
            for learner in learners[2:5]:
                _try_enrol(full, learner)
            under_way = _schedule(manager, own[2 % len(own)], -10)
            for share, learner in zip((0.2, 0.5, 0.8), learners[-3:], strict=True):
                _learn(_try_enrol(under_way, learner), share)


def _cancel_a_run(courses: list[Course], learners: list[Account], admin: Account) -> None:
    """A course's second run is cancelled after three learners joined it (two seats taken, one
    waiting): their enrolments end and the cancellation mail is written for each (the
    demo-data command sends made-up learners no mail); My learning offers them the course's
    run still open."""
    chosen = learners[:1] + learners[3:5]
    if len(chosen) < 3:
        return
    now = utcnow()
    for course in courses:
        if not course.institution.active or course.credential == Credential.NONE:
            continue
        if not any(r.availability(now) is Availability.OPEN for r in course.runs):
            continue
        held = session.scalar(
            select(Enrollment.id).where(
                Enrollment.course_id == course.id,
                Enrollment.account_id.in_([a.id for a in chosen]),
                Enrollment.state.in_(ACTIVE_STATES),
            )
        )
        if held is None:
            break
    else:
        return
    run = _schedule(admin, course, 12, capacity=2)
    for learner in chosen:
        enrolment.enroll(run, learner, actor=learner)
    publishing.cancel_run(admin, run)


def _schedule(
    manager: Account,
    course: Course,
    start_in_days: int,
    *,
    capacity: int | None = None,
    requires_approval: bool = False,
) -> CourseRun:
    """A new six-week run starting ``start_in_days`` from now, open for enrolment now."""
    now, day = utcnow(), timedelta(days=1)
    data = validation.RunData(
        start_at=now + start_in_days * day,
        end_at=now + (start_in_days + 42) * day,
        enrollment_start_at=now - 7 * day,
        enrollment_end_at=now + max(start_in_days, 7) * day,
        capacity=capacity,
        requires_approval=requires_approval,
    )
    return publishing.create_run(manager, course, data)


def _try_enrol(run: CourseRun, learner: Account) -> Enrollment | None:
    """Enrol unless the learner already holds an active enrolment in the course (checked
    first: the service's refusal carries a translated message, which the CLI cannot build)."""
    held = session.scalar(
        select(Enrollment.id).where(
            Enrollment.course_id == run.course_id,
            Enrollment.account_id == learner.id,
            Enrollment.state.in_(ACTIVE_STATES),
        )
    )
    return None if held is not None else enrolment.enroll(run, learner, actor=learner)
