import pytest
from sqlalchemy import select

from mooc_portal.catalog.outline import Lesson
from mooc_portal.certificates import services as certificates
from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session
from mooc_portal.errors import Conflict, NotFound
from mooc_portal.progress import services
from mooc_portal.progress.models import LessonCompletion
from mooc_portal.publishing.outline import LessonData, add_lesson, remove_lesson, update_lesson
from mooc_portal.signals import course_completed, lesson_completed
from tests.factories import make_account
from tests.progress.conftest import build_space, enrol


def test_completing_every_counted_lesson_completes_the_enrolment_and_issues_a_certificate(
    space, learner_in
):
    learner = learner_in.account
    first, second, external, optional = space.lessons
    marked, finished = [], []
    with (
        lesson_completed.connected_to(lambda sender, **kw: marked.append(kw["lesson"])),
        course_completed.connected_to(lambda sender, **kw: finished.append(kw["enrollment"])),
    ):
        progress = services.mark_complete(learner_in, first, actor=learner)
        assert (progress.done, progress.total, progress.percent) == (1, 3, 33)
        services.mark_complete(learner_in, first, actor=learner)  # twice: still one mark
        services.mark_complete(learner_in, optional, actor=learner)  # optional: not counted
        assert services.progress_of(learner_in).percent == 33
        services.mark_complete(learner_in, second, actor=learner)
        assert learner_in.state == "enrolled" and not finished
        progress = services.mark_complete(learner_in, external, actor=learner)
    assert progress.percent == 100
    assert marked == [first, optional, second, external]
    assert finished == [learner_in]
    assert learner_in.state == "completed"
    assert [t.to_state for t in learner_in.transitions][-1] == "completed"
    certificate = session.scalars(select(Certificate)).one()
    assert certificate.enrollment_id == learner_in.id and certificate.is_valid


def test_marking_not_complete_afterwards_does_not_revoke_the_certificate(space, learner_in):
    learner = learner_in.account
    for lesson in space.lessons[:3]:
        services.mark_complete(learner_in, lesson, actor=learner)
    progress = services.mark_incomplete(learner_in, space.lessons[0], actor=learner)
    assert progress.percent == 66
    assert learner_in.state == "completed"
    certificate = session.scalars(select(Certificate)).one()
    assert certificate.is_valid
    # Marking it again does not complete (or certify) a second time.
    services.mark_complete(learner_in, space.lessons[0], actor=learner)
    assert session.query(Certificate).count() == 1


def test_no_certificate_when_the_course_offers_none(app):
    space = build_space(credential="none")
    enrollment = enrol(space.run)
    for lesson in space.lessons[:3]:
        services.mark_complete(enrollment, lesson, actor=enrollment.account)
    assert enrollment.state == "completed"
    assert session.query(Certificate).count() == 0


def test_progress_follows_the_current_outline(space, learner_in):
    learner = learner_in.account
    first, second, external, _optional = space.lessons
    services.mark_complete(learner_in, first, actor=learner)
    services.mark_complete(learner_in, second, actor=learner)
    assert services.progress_of(learner_in).percent == 66

    added = add_lesson(space.editor, space.modules[1], LessonData("New quiz", kind="quiz"))
    assert (services.progress_of(learner_in).done, services.progress_of(learner_in).total) == (2, 4)

    remove_lesson(space.editor, first)
    progress = services.progress_of(learner_in)
    assert (progress.done, progress.total, progress.percent) == (1, 3, 33)

    # A lesson that stops counting no longer counts, done or not.
    update_lesson(
        space.editor, second, LessonData("Wave video", kind="video", counts_toward_completion=False)
    )
    assert (services.progress_of(learner_in).done, services.progress_of(learner_in).total) == (0, 2)

    services.mark_complete(learner_in, external, actor=learner)
    services.mark_complete(learner_in, added, actor=learner)
    assert learner_in.state == "completed"


def test_completions_of_a_removed_lesson_are_not_counted(space, learner_in):
    first = space.lessons[0]
    services.mark_complete(learner_in, first, actor=learner_in.account)
    remove_lesson(space.editor, first)
    session.flush()
    assert session.query(LessonCompletion).count() == 0
    assert session.get(Lesson, first.id) is None
    assert services.progress_of(learner_in).done == 0


def test_a_lesson_of_another_course_or_another_learners_enrolment_is_refused(space, learner_in):
    other = build_space()
    with pytest.raises(NotFound):
        services.mark_complete(learner_in, other.lessons[0], actor=learner_in.account)
    with pytest.raises(NotFound):
        services.get_lesson(learner_in, other.lessons[0].uuid)
    with pytest.raises(NotFound):
        services.mark_complete(learner_in, space.lessons[0], actor=make_account())
    assert session.query(LessonCompletion).count() == 0


def test_only_enrolled_learners_mark_lessons(space):
    enrollment = enrol(space.run)
    from mooc_portal.enrollment import services as enrolment

    enrolment.withdraw(enrollment, actor=enrollment.account)
    with pytest.raises(Conflict):
        services.mark_complete(enrollment, space.lessons[0], actor=enrollment.account)
    assert session.query(LessonCompletion).count() == 0


def test_revoked_certificate_stays_revoked_when_lessons_change(space, learner_in):
    for lesson in space.lessons[:3]:
        services.mark_complete(learner_in, lesson, actor=learner_in.account)
    certificate = session.scalars(select(Certificate)).one()
    certificates.revoke_certificate(certificate, "Plagiarism", actor=space.editor)
    services.mark_incomplete(learner_in, space.lessons[0], actor=learner_in.account)
    services.mark_complete(learner_in, space.lessons[0], actor=learner_in.account)
    assert session.scalars(select(Certificate)).one().revoked_at is not None
