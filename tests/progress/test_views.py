import re
from datetime import timedelta

from sqlalchemy import select

from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.privacy import sharing
from mooc_portal.progress import services
from mooc_portal.progress.models import LessonCompletion
from tests.factories import make_account, make_course, make_institution, make_run
from tests.progress.conftest import build_space, enrol


def csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def lesson_url(space, lesson):
    return f"/learn/{space.run.uuid}/lessons/{lesson.uuid}"


def test_enrolled_learner_works_through_the_course_space(client, auth, space, learner_in):
    auth.login(learner_in.account.email)
    first, second, external, _optional = space.lessons

    page = client.get(f"/learn/{space.run.uuid}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for title in ("Waves", "Tides", "What is a wave", "Wave video", "Tide tables"):
        assert title in text
    assert "Reading" in text and "12 min" in text and "optional" in text
    assert 'max="100" value="0"' in text and "0% complete (0 of 3 lessons)" in text
    assert "Where you left off" not in text

    page = client.get(lesson_url(space, first)).get_data(as_text=True)
    assert "<h3>Waves</h3>" in page and "<em>moves</em>" in page
    assert "<script>alert(1)" not in page
    assert f'rel="next" href="{lesson_url(space, second)}"' in page
    assert 'rel="prev"' not in page
    assert 'aria-current="page">What is a wave' in page

    token = csrf(client, lesson_url(space, first))
    done = client.post(f"{lesson_url(space, first)}/complete", data={"csrf_token": token})
    # "Mark as complete" moves on to the next lesson (issue 12, "Lessons").
    assert done.status_code == 302 and done.location.endswith(lesson_url(space, second))
    page = client.get(lesson_url(space, first)).get_data(as_text=True)
    assert "Marked as complete (33% done)." in page
    assert "Mark as not complete" in page and "33% complete (1 of 3 lessons)" in page

    page = client.get(lesson_url(space, external)).get_data(as_text=True)
    assert 'href="https://tides.example.org/tables"' in page
    assert f'rel="prev" href="{lesson_url(space, second)}"' in page

    space_page = client.get(f"/learn/{space.run.uuid}").get_data(as_text=True)
    assert "Where you left off" in space_page and "Tide tables</a>" in space_page
    assert f'href="{lesson_url(space, second)}">Next lesson: Wave video' in space_page

    undone = client.post(f"{lesson_url(space, first)}/incomplete", data={"csrf_token": token})
    assert undone.status_code == 302
    assert services.progress_of(learner_in).done == 0


def test_completing_the_last_lesson_through_the_page_issues_the_certificate(
    client, auth, space, learner_in
):
    auth.login(learner_in.account.email)
    token = csrf(client, f"/learn/{space.run.uuid}")
    for lesson in space.lessons[:3]:
        response = client.post(f"{lesson_url(space, lesson)}/complete", data={"csrf_token": token})
        assert response.status_code == 302
    assert learner_in.state == "completed"
    certificate = session.scalars(select(Certificate)).one()
    page = client.get("/my/learning").get_data(as_text=True)
    assert f'href="/certificates/{certificate.code}"' in page
    assert "Completed courses and certificates" in page
    # Unmark a lesson: the certificate stays, the course stays completed.
    client.post(f"{lesson_url(space, space.lessons[0])}/incomplete", data={"csrf_token": token})
    assert learner_in.state == "completed"
    assert client.get(f"/certificates/{certificate.code}").status_code == 200
    assert "This certificate is valid." in client.get(f"/certificates/{certificate.code}").text
    # ...and its progress says so, rather than "67 %" beside "You have completed this course".
    space_page = client.get(f"/learn/{space.run.uuid}").get_data(as_text=True)
    assert "You have completed this course." in space_page
    assert '<progress max="100" value="100"' in space_page and "67%" not in space_page


def test_marking_needs_the_csrf_token(client, auth, space, learner_in):
    auth.login(learner_in.account.email)
    response = client.post(f"{lesson_url(space, space.lessons[0])}/complete", data={})
    assert response.status_code == 400
    assert session.query(LessonCompletion).count() == 0


def test_tampered_lesson_of_another_course_is_not_found(client, auth, space, learner_in):
    other = build_space()
    auth.login(learner_in.account.email)
    token = csrf(client, f"/learn/{space.run.uuid}")
    foreign = f"/learn/{space.run.uuid}/lessons/{other.lessons[0].uuid}"
    assert client.get(foreign).status_code == 404
    response = client.post(f"{foreign}/complete", data={"csrf_token": token})
    assert response.status_code == 404
    assert "No such lesson in this course." in response.get_data(as_text=True)
    assert client.get(f"/learn/{space.run.uuid}/lessons/12345").status_code == 404
    assert client.get("/learn/not-a-run").status_code == 404
    assert session.query(LessonCompletion).count() == 0


def test_who_gets_into_the_course_space(client, auth, space):
    path = f"/learn/{space.run.uuid}"
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/account/login" in anonymous.location

    stranger = make_account()
    auth.login(stranger.email)
    refused = client.get(path)
    assert refused.status_code == 403
    assert "Only learners enrolled in this run" in refused.get_data(as_text=True)
    token = csrf(client, "/my/learning")
    tampered = client.post(
        f"{lesson_url(space, space.lessons[0])}/complete", data={"csrf_token": token}
    )
    assert tampered.status_code == 403
    auth.logout()

    leaver = enrol(space.run)
    enrolment.withdraw(leaver, actor=leaver.account)
    auth.login(leaver.account.email)
    assert client.get(path).status_code == 403
    auth.logout()

    assert session.query(LessonCompletion).count() == 0


def test_a_run_that_has_not_started_stays_closed_unless_the_course_is_self_paced(client, auth):
    soon = utcnow() + timedelta(days=10)
    course = make_course()
    run = make_run(course, start=soon, enrollment_start_at=utcnow() - timedelta(days=1))
    learner = enrol(run)
    auth.login(learner.account.email)
    response = client.get(f"/learn/{run.uuid}")
    assert response.status_code == 403
    assert "has not started yet" in response.get_data(as_text=True)
    assert "The course space opens when the run starts." in client.get("/my/learning").text
    auth.logout()

    self_paced = make_course(pace="self_paced")
    open_run = make_run(self_paced, start=soon, enrollment_start_at=utcnow() - timedelta(days=1))
    learner = enrol(open_run)
    auth.login(learner.account.email)
    assert client.get(f"/learn/{open_run.uuid}").status_code == 200


def test_pending_learner_is_told_to_wait(client, auth):
    course = make_course()
    start = utcnow() - timedelta(days=1)
    run = make_run(course, start=start, requires_approval=True)
    pending = enrol(run)
    assert pending.state == "pending"
    auth.login(pending.account.email)
    response = client.get(f"/learn/{run.uuid}")
    assert response.status_code == 403
    assert "not confirmed yet" in response.get_data(as_text=True)


def test_my_learning_lists_states_progress_and_next_lesson(client, auth, space, learner_in):
    learner = learner_in.account
    services.mark_complete(learner_in, space.lessons[0], actor=learner)
    full = make_run(make_course(title="Full Course"), start=utcnow(), capacity=0)
    waiting = enrol(full, learner)
    assert waiting.state == "waitlisted"
    gone = enrol(make_run(make_course(title="Left Course"), start=utcnow()), learner)
    enrolment.withdraw(gone, actor=learner)

    auth.login(learner.email)
    response = client.get("/my/learning")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="/my/learning"' in page  # the header links here
    assert "Ocean Science" in page and "Full Course" in page
    assert '<progress max="100" value="33" aria-label="Progress in Ocean Science"' in page
    assert f'href="{lesson_url(space, space.lessons[1])}">Wave video</a>' in page
    assert "You are number 1 on the waitlist." in page
    assert "You have not completed a course yet." in page
    # A withdrawal is listed too, with what the learner can do next.
    ended = page.split('id="ended-heading"')[1]
    assert "Left Course" in ended and "You withdrew from this run." in ended
    assert "No other run of this course is open at the moment." in ended


def test_my_learning_is_the_one_page_of_every_enrolment_state(client, auth):
    """Issue 12, "The way back in": My learning and My enrolments are one page; every state is
    shown with its next step, progress and certificate."""
    from mooc_portal.publishing import services as publishing

    learner = make_account()
    home = make_institution()
    manager = make_account(memberships={home: "manager"})

    def course_run(title, **fields):
        course = make_course(title, institution=home, credential="certificate")
        start = utcnow() - timedelta(days=2)
        return make_run(course, start=start, enrollment_start_at=start - timedelta(5), **fields)

    enrolled = enrol(course_run("Enrolled Course"), learner)
    waiting = enrol(course_run("Waiting Course", capacity=0), learner)
    pending = enrol(course_run("Pending Course", requires_approval=True), learner)
    refused = enrol(course_run("Refused Course", requires_approval=True), learner)
    enrolment.reject(refused, "The course is for staff only.", actor=manager)
    left = enrol(course_run("Withdrawn Course"), learner)
    enrolment.withdraw(left, actor=learner)
    done_space = build_space(institution=home, title="Finished Course")
    finished = enrol(done_space.run, learner)
    for lesson in done_space.lessons:
        if lesson.counts_toward_completion:
            services.mark_complete(finished, lesson, actor=learner)
    cancelled_space = build_space(institution=home, title="Cancelled Course")
    cancelled = enrol(cancelled_space.run, learner)
    services.mark_complete(cancelled, cancelled_space.lessons[0], actor=learner)
    later = make_run(
        cancelled_space.course,
        start=utcnow() + timedelta(days=30),
        enrollment_start_at=utcnow() - timedelta(days=1),
    )
    publishing.cancel_run(cancelled_space.editor, cancelled_space.run)
    session.commit()
    assert [e.state for e in (enrolled, waiting, pending, refused, left, finished, cancelled)] == [
        "enrolled", "waitlisted", "pending", "rejected", "withdrawn", "completed", "cancelled"
    ]  # fmt: skip

    auth.login(learner.email)
    old = client.get("/my/enrolments")
    assert old.status_code == 301 and old.location == "/my/learning"
    page = client.get("/my/learning").get_data(as_text=True)

    def item(enrollment):
        return page.split(f'id="enrolment-{enrollment.uuid}"')[1].split("</li>\n</ul>")[0]

    assert page.count('class="learning-item enrolment-item"') == 7
    assert "Progress in Enrolled Course" in item(enrolled) and "Withdraw" in item(enrolled)
    assert "You are number 1 on the waitlist." in item(waiting)
    assert "Withdraw" in item(waiting)
    assert "Pending approval" in item(pending)
    assert "The organisers have not decided on your enrolment yet." in item(pending)
    assert "Reason: The course is for staff only." in item(refused)
    assert "You withdrew from this run." in item(left)
    assert "Withdraw<" not in item(left)
    code = session.scalar(select(Certificate.code).where(Certificate.enrollment_id == finished.id))
    assert f'href="/certificates/{code}"' in item(finished)
    assert "Run cancelled" in item(cancelled)
    assert "33% complete (1 of 3 lessons)" in item(cancelled)  # the marks stay on record
    assert f"#enrol-{later.uuid}" in item(cancelled)  # the next step: another run
    assert "History" in item(cancelled) and "Withdrawn" in item(left)


def test_my_learning_issues_a_fixed_number_of_queries(client, auth, count_queries):
    learner = make_account()
    institution = make_institution()
    editor = make_account(is_admin=True)

    def add_enrolments(count):
        from mooc_portal.publishing.outline import LessonData, add_lesson, add_module

        for n in range(count):
            course = make_course(institution=institution, credential="certificate")
            run = make_run(course, start=utcnow() - timedelta(days=1))
            module = add_module(editor, course, "Module")
            lesson = add_lesson(editor, module, LessonData(f"Lesson {n}"))
            add_lesson(editor, module, LessonData(f"Lesson {n}b"))
            enrollment = enrol(run, learner)
            services.mark_complete(enrollment, lesson, actor=learner)
            services.record_visit(enrollment, lesson, actor=learner)
            if n % 5 == 0:
                services.mark_complete(enrollment, module.lessons[1], actor=learner)

    add_enrolments(5)
    auth.login(learner.email)
    with count_queries() as few:
        assert client.get("/my/learning").status_code == 200
    add_enrolments(45)
    with count_queries() as many:
        page = client.get("/my/learning")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("<progress") == 40
    assert page.get_data(as_text=True).count('href="/certificates/') == 10
    assert many.count == few.count


def run_with_learners():
    institution = make_institution()
    space = build_space(institution=institution)
    manager = make_account(memberships={institution: "manager"})
    busy, idle, done = (enrol(space.run) for _ in range(3))
    for learner in (busy, idle, done):
        # They agreed to share their progress and completion with the institution.
        sharing.record_consent(
            learner.account,
            institution.id,
            country=False,
            progress=True,
            completion=True,
            actor=learner.account,
            enrollment=learner,
        )
    services.mark_complete(busy, space.lessons[0], actor=busy.account)
    for lesson in space.lessons[:3]:
        services.mark_complete(done, lesson, actor=done.account)
    old = session.scalars(
        select(LessonCompletion).where(LessonCompletion.enrollment_id == done.id)
    ).all()
    for completion in old:
        completion.completed_at = utcnow() - timedelta(days=30)
    waiting = make_account()
    enrolment.enroll(space.run, waiting, actor=waiting)
    session.flush()
    return space, manager, (busy, idle, done)


def test_run_progress_figures_for_the_partner_manager(client, auth):
    space, manager, (busy, idle, done) = run_with_learners()
    auth.login(manager.email)
    response = client.get(f"/partner/runs/{space.run.uuid}/progress")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert figures == {
        "Enrolled": "4",
        "Active in the last 7 days": "1",
        "Average progress": f"{round((33 + 0 + 100 + 0) / 4)}%",
        "Completion rate": "25%",
    }
    assert busy.account.email in page and idle.account.email in page

    csv = client.get(f"/partner/runs/{space.run.uuid}/progress.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].startswith("\ufeffenrolment,learner,email")  # a BOM for spreadsheets
    assert len(lines) == 5
    row = next(line for line in lines if done.account.email in line)
    assert ",completed,3,3,100," in row

    review = client.get("/partner/enrolments").get_data(as_text=True)
    assert f'href="/partner/runs/{space.run.uuid}/progress"' in review


def test_run_progress_pages_its_learners_and_counts_them_all(client, auth):
    space, manager, _learners = run_with_learners()
    auth.login(manager.email)
    url = f"/partner/runs/{space.run.uuid}/progress"
    first = client.get(f"{url}?size=3").get_data(as_text=True)
    # The figures are over every learner; the table shows one page of them.
    assert "<dt>Enrolled</dt><dd>4</dd>" in first
    assert first.count('<th scope="row">') == 3 and "1\u20133 of 4" in first
    assert "size=3&amp;page=2" in first
    last = client.get(f"{url}?size=3&page=2").get_data(as_text=True)
    assert last.count('<th scope="row">') == 1 and "4\u20134 of 4" in last
    bad = client.get(f"{url}?page=none")
    assert bad.status_code == 200 and "is not valid; showing the first page." in bad.text
    assert client.get(f"/admin/runs/{space.run.uuid}/progress").status_code == 403


def test_run_progress_is_refused_to_other_institutions_and_learners(client, auth):
    space, _manager, (busy, _idle, _done) = run_with_learners()
    outsider = make_account(memberships={make_institution(): "manager"})
    auth.login(outsider.email)
    for path in ("progress", "progress.csv"):
        assert client.get(f"/partner/runs/{space.run.uuid}/{path}").status_code == 403
        assert client.get(f"/admin/runs/{space.run.uuid}/{path}").status_code == 403
    auth.logout()
    auth.login(busy.account.email)
    assert client.get(f"/partner/runs/{space.run.uuid}/progress").status_code == 403
    auth.logout()
    admin = make_account(is_admin=True)
    auth.login(admin.email)
    assert client.get(f"/admin/runs/{space.run.uuid}/progress").status_code == 200
    review = client.get("/admin/enrolments").get_data(as_text=True)
    assert f'href="/admin/runs/{space.run.uuid}/progress"' in review
