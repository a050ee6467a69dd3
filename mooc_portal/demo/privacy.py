"""Demo step: the privacy notice, the learners' sharing choices, handled access requests (more
than a page of them) and an erased account, so that the privacy pages, the partner pages and the
records have something to show."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.accounts.services import register_account
from mooc_portal.catalog.availability import Availability
from mooc_portal.catalog.models import Course, CourseStatus
from mooc_portal.db import session
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.privacy import erasure, export, notices, sharing

if TYPE_CHECKING:
    from mooc_portal.demo import DemoContext

NOTICE_EN = """\
This notice explains how the ASEM MOOC Portal handles your personal data. The portal is run by
the ASEM MOOC consortium on behalf of the partner universities of the Asia-Europe Meeting.

## What we collect

Your name, e-mail address and password (stored only as a salted hash); your country, interface
language and time zone if you give them; your enrolments, the lessons you mark as complete and
your certificates.

## Why

To let you enrol in the partners' courses, follow your progress and prove your completions.
We never sell your data and show no advertising.

## Transfers

Partner institutions are in Europe and in Asia. When you enrol in a course of an institution
outside your own country, the data listed below is sent to it under the consortium's data
sharing agreement, which includes the European Commission's standard contractual clauses.
"""

NOTICE_KO = """\
이 안내문은 ASEM MOOC 포털이 개인정보를 어떻게 처리하는지 설명합니다. 포털은 아시아·유럽
정상회의(ASEM) 협력 대학을 대신하여 ASEM MOOC 컨소시엄이 운영합니다.

## 수집하는 정보

이름, 이메일 주소, 비밀번호(솔트를 더한 해시로만 저장), 제공하신 경우 국가·인터페이스 언어·
시간대, 수강 신청 내역, 완료로 표시한 강의, 수료증.

## 목적

협력 기관의 강좌에 수강 신청하고, 학습 진도를 확인하고, 수료를 증명할 수 있게 하기 위해서입니다.
개인정보를 판매하지 않으며 광고를 보여 주지 않습니다.

## 국외 이전

협력 기관은 유럽과 아시아에 있습니다. 다른 나라 기관의 강좌에 수강 신청하면 아래에 적힌 정보가
컨소시엄의 정보 공유 협약(유럽연합 집행위원회의 표준계약조항 포함)에 따라 해당 기관에 전달됩니다.
"""

# What each demo learner agreed to share with the institutions they enrolled with.
SHARING = {
    "learner.seoul": (True, True, True),
    "learner.hanoi": (False, True, True),
    "learner.bangkok": (False, False, False),
    "learner.paris": (True, False, True),
    "learner.berlin": (True, True, True),
    "learner.helsinki": (False, True, False),
}


def add_privacy(context: DemoContext) -> None:
    from mooc_portal.demo import demo_email

    admin = context.accounts[demo_email("admin")]
    notice = notices.publish_notice(
        {"en": NOTICE_EN, "ko": NOTICE_KO}, changes="First version.", actor=admin
    )
    for account in context.accounts.values():
        language = account.preferred_language or "en"
        notices.acknowledge(account, notice, language=language, context="registration")
    for local_part, (country, progress, completion) in SHARING.items():
        learner = context.accounts[demo_email(local_part)]
        first_by_institution: dict[int, Enrollment] = {}
        for enrollment, institution_id in session.execute(
            select(Enrollment, Course.institution_id)
            .join(Course, Course.id == Enrollment.course_id)
            .where(Enrollment.account_id == learner.id)
            .order_by(Enrollment.id)
        ):
            first_by_institution.setdefault(institution_id, enrollment)
        for institution_id, enrollment in first_by_institution.items():
            sharing.record_consent(
                learner,
                institution_id,
                country=country,
                progress=progress,
                completion=completion,
                actor=learner,
                enrollment=enrollment,
            )
    export.record_access_request(
        context.accounts[demo_email("learner.helsinki")], channel="self-service"
    )
    _add_past_access_requests(context)
    _add_erased_account(context)


PAST_ACCESS_REQUESTS = 30
"""Downloads of their data by the demo learners over the past year (some more than once): more
than one page of the records' handled requests (25 a page), so that the records show their
pager."""


def _add_past_access_requests(context: DemoContext) -> None:
    learners = list(
        session.scalars(
            select(Account)
            .where(Account.is_admin.is_(False), ~Account.memberships.any())
            .order_by(Account.email)
        )
    )
    for _n in range(PAST_ACCESS_REQUESTS):
        entry = export.record_access_request(
            context.rng.choice(learners),
            channel=context.rng.choice(("self-service", "self-service", "administrator")),
        )
        entry.received_at = context.now - timedelta(
            days=context.rng.randint(2, 360), minutes=context.rng.randint(0, 1439)
        )
        entry.completed_at = entry.received_at + timedelta(hours=context.rng.randint(0, 48))


def _add_erased_account(context: DemoContext) -> None:
    """A learner who enrolled in a course and then deleted their account."""
    from mooc_portal.demo import DEMO_PASSWORD, demo_email

    former = register_account(
        demo_email("former.learner"),
        DEMO_PASSWORD,
        "Former Learner",
        country="PT",
        preferred_language="en",
    )
    # Checked here rather than caught: the services' refusals are translated messages, which
    # a command outside a request cannot build.
    for course in context.courses:
        if course.status != CourseStatus.PUBLISHED:
            continue
        run = next((r for r in course.runs if r.availability() is Availability.OPEN), None)
        if run is not None:
            sharing.enrol_with_consent(run, former, country=True, progress=True, completion=False)
            break
    erasure.erase_account(former, keep_certificates=False, channel="self-service")
