"""Partner pages through the client: forms, errors at the field, CSRF, preview, workflow."""

from __future__ import annotations

import re

from sqlalchemy import select

from mooc_portal.catalog.models import Course
from mooc_portal.catalog.outline import Lesson, Module
from mooc_portal.catalog.services import public_courses
from mooc_portal.db import session
from tests.factories import make_account
from tests.partner.course_forms import course_form, post_course
from tests.progress.conftest import build_space, enrol


def test_editor_creates_a_course_through_the_form(client, auth, home):
    auth.login(home["editor"].email)
    url = f"/partner/{home['institution'].slug}/courses/new"
    page = client.get(url).get_data(as_text=True)
    assert 'name="teaching_languages"' in page
    response = post_course(client, auth, url)
    assert response.status_code == 302
    course = session.scalar(select(Course).where(Course.code == "NEW1"))
    assert course.status == "draft" and course.teaching_languages == ["en", "ko"]
    assert course.institution_id == home["institution"].id
    overview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Oceans and Us" in overview and "Submit for review" in overview


def test_a_post_without_csrf_token_changes_nothing(client, auth, home):
    auth.login(home["editor"].email)
    response = client.post(f"/partner/{home['institution'].slug}/courses/new", data=course_form())
    assert response.status_code == 400
    assert session.scalar(select(Course).where(Course.code == "NEW1")) is None
    response = client.post(
        f"/partner/courses/{home['course'].uuid}/transition", data={"action": "submit"}
    )
    assert response.status_code == 400
    assert home["course"].status == "draft"


def test_bad_values_are_shown_at_their_field(client, auth, home):
    auth.login(home["editor"].email)
    url = f"/partner/{home['institution'].slug}/courses/new"
    response = post_course(client, auth, url, teaching_languages="en, klingon!!")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="teaching_languages-error">[^<]*klingon', page)
    assert session.scalar(select(Course).where(Course.code == "NEW1")) is None


def test_a_number_that_is_not_one_gets_one_message(client, auth, home):
    """Text in a number field is reported as not a number, and only that: not also as out of
    range, which the field's range check would say of the value it could not read."""
    auth.login(home["editor"].email)
    url = f"/partner/{home['institution'].slug}/courses/new"
    response = post_course(client, auth, url, effort_hours="abc", length_weeks="five")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    effort = re.search(r'id="effort_hours-error">(.*?)</', page, re.S).group(1)
    weeks = re.search(r'id="length_weeks-error">(.*?)</', page, re.S).group(1)
    assert effort.strip() == "Not a valid decimal value."
    assert weeks.strip() == "Not a valid integer value."
    assert session.scalar(select(Course).where(Course.code == "NEW1")) is None


def test_the_course_form_shows_every_problem_at_once(client, auth, home):
    """The form's own checks (an empty title) and the services' (a bad language tag, ECTS
    without credits, a negative effort) answer together, each at its field."""
    auth.login(home["editor"].email)
    url = f"/partner/{home['institution'].slug}/courses/new"
    response = post_course(
        client,
        auth,
        url,
        title="",
        teaching_languages="en, klingon!!",
        credential="ects",
        effort_hours="-2",
        original_language="!!",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for name in (
        "title",
        "teaching_languages",
        "ects_credits",
        "effort_hours",
        "original_language",
    ):
        assert f'id="{name}-error"' in page, name
    assert session.scalar(select(Course).where(Course.code == "NEW1")) is None

    edit = f"/partner/courses/{home['course'].uuid}/edit"
    response = post_course(
        client, auth, edit, code="", teaching_languages="xx!!", credential="ects"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for name in ("code", "teaching_languages", "ects_credits"):
        assert f'id="{name}-error"' in page, name


def test_run_date_rules_are_shown_at_the_field(client, auth, home):
    auth.login(home["editor"].email)
    url = f"/partner/courses/{home['course'].uuid}/runs/new"
    response = client.post(
        url,
        data={
            "csrf_token": auth.csrf_token(url),
            "start_at": "2030-03-01T09:00",
            "end_at": "2030-02-01T09:00",
            "enrollment_end_at": "2030-04-01T09:00",
            "capacity": "-3",
            "delivery_mode": "online",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="end_at-error">The run must end after it starts', page)
    assert 'id="enrollment_end_at-error">' in page
    assert 'id="capacity-error">' in page
    assert len(home["course"].runs) == 1


def test_run_created_and_cancelled(client, auth, home):
    auth.login(home["editor"].email)
    url = f"/partner/courses/{home['course'].uuid}/runs/new"
    token = auth.csrf_token(url)
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "start_at": "2030-03-01T09:00",
            "end_at": "2030-05-01T09:00",
            "capacity": "50",
            "requires_approval": "y",
            "delivery_mode": "blended",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    run = next(r for r in home["course"].runs if r.capacity == 50)
    assert run.requires_approval and run.delivery_mode == "blended"
    assert run.start_at.isoformat() == "2030-03-01T09:00:00+00:00"
    response = client.post(
        f"/partner/courses/{home['course'].uuid}/runs/{run.uuid}/cancel",
        data={"csrf_token": token},
    )
    assert response.status_code == 302
    session.expire_all()
    assert run.cancelled


def test_translation_added_and_listed(client, auth, home):
    auth.login(home["editor"].email)
    url = f"/partner/courses/{home['course'].uuid}/translations/new"
    response = client.post(
        url,
        data={"csrf_token": auth.csrf_token(url), "language": "ko", "title": "집 초안"},
    )
    assert response.status_code == 302
    overview = client.get(f"/partner/courses/{home['course'].uuid}/").get_data(as_text=True)
    assert '<td lang="ko">집 초안</td>' in overview
    assert {t.language for t in home["course"].translations} == {"en", "ko"}


def test_preview_shows_the_outline_with_sanitised_markdown(client, auth, home):
    home["lesson"].content = "**Welcome** <script>alert('x')</script>"
    session.flush()
    auth.login(home["editor"].email)
    page = client.get(f"/partner/courses/{home['course'].uuid}/preview").get_data(as_text=True)
    assert "Home Draft" in page and "Week 1" in page
    assert "<strong>Welcome</strong>" in page
    assert "<script>alert" not in page


def test_outline_edited_through_the_pages(client, auth, home):
    auth.login(home["editor"].email)
    base = f"/partner/courses/{home['course'].uuid}/outline"
    token = auth.csrf_token(base)
    assert client.post(base, data={"csrf_token": token, "title": "Week 2"}).status_code == 302
    url = f"{base}/{home['module'].uuid}/lessons/new"
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "title": "Quiz one",
            "kind": "quiz",
            "minutes": "15",
            "counts_toward_completion": "y",
        },
    )
    assert response.status_code == 302
    bad = client.post(
        url, data={"csrf_token": token, "title": "Ext", "kind": "external", "minutes": "5"}
    )
    assert bad.status_code == 400
    assert 'id="external_url-error"' in bad.get_data(as_text=True)
    session.expire_all()
    assert [x.title for x in home["module"].lessons] == ["Welcome", "Quiz one"]
    quiz = home["module"].lessons[1]
    response = client.post(f"{url[: -len('/new')]}/{quiz.uuid}/up", data={"csrf_token": token})
    assert response.status_code == 302
    session.expire_all()
    assert [x.title for x in home["module"].lessons] == ["Quiz one", "Welcome"]


def test_review_round_trip_through_the_pages(client, auth, home, admin):
    course = home["course"]
    course.accessibility_statement = "Captions."
    session.flush()
    auth.login(home["editor"].email)
    token = auth.csrf_token("/")
    client.post(
        f"/partner/courses/{course.uuid}/transition", data={"csrf_token": token, "action": "submit"}
    )
    assert course.status == "in_review"
    auth.logout()

    auth.login(admin.email)
    queue = client.get("/admin/").get_data(as_text=True)
    assert "Home Draft" in queue
    review = client.get(f"/admin/courses/{course.uuid}").get_data(as_text=True)
    assert "Accessibility statement for the course materials" in review
    assert "Week 1" in review  # the course as learners see it, with its outline
    token = auth.csrf_token("/")
    refused = client.post(
        f"/admin/courses/{course.uuid}/transition",
        data={"csrf_token": token, "action": "request_changes", "comment": ""},
    )
    assert refused.status_code == 400
    assert 'id="comment-error"' in refused.get_data(as_text=True)
    client.post(
        f"/admin/courses/{course.uuid}/transition",
        data={"csrf_token": token, "action": "request_changes", "comment": "Add outcomes."},
    )
    assert course.status == "draft"
    auth.logout()

    auth.login(home["editor"].email)
    dashboard = client.get(f"/partner/{home['institution'].slug}/").get_data(as_text=True)
    assert "Add outcomes." in dashboard
    runs_section = dashboard.split('id="runs-heading"', 1)[1]
    assert "HOME1" in runs_section  # the draft's run, starting in two weeks
    token = auth.csrf_token("/")
    client.post(
        f"/partner/courses/{course.uuid}/transition", data={"csrf_token": token, "action": "submit"}
    )
    # an editor cannot approve their own course
    response = client.post(
        f"/partner/courses/{course.uuid}/transition",
        data={"csrf_token": token, "action": "approve"},
    )
    assert response.status_code == 403
    auth.logout()

    auth.login(admin.email)
    client.post(
        f"/admin/courses/{course.uuid}/transition",
        data={"csrf_token": auth.csrf_token("/"), "action": "approve"},
    )
    assert course.status == "published" and course.published_at is not None
    assert course in session.scalars(public_courses()).all()


def test_dashboard_lists_only_runs_not_started_of_courses_still_offered(client, auth, home):
    from datetime import timedelta

    from mooc_portal.db import utcnow
    from tests.factories import make_course, make_run

    institution = home["institution"]
    now = utcnow()
    offered = make_course("Offered Course", institution=institution)
    make_run(offered, start=now + timedelta(days=10))
    make_run(offered, start=now - timedelta(days=3), enrollment_end_at=now + timedelta(days=5))
    withdrawn = make_course("Withdrawn Course", institution=institution, status="withdrawn")
    make_run(withdrawn, start=now + timedelta(days=10))
    slug, manager = institution.slug, home["manager"].email
    auth.login(manager)
    page = client.get(f"/partner/{slug}/").get_data(as_text=True)
    upcoming = page.split('id="runs-heading"', 1)[1]
    assert upcoming.count("Offered Course") == 1
    assert "Withdrawn Course" not in upcoming
    assert f'href="/partner/{slug}/api-tokens"' in page


def _lesson_body(html: str) -> str:
    start = html.index('<div class="lesson-content')
    return html[start : html.index("</div>", start) + len("</div>")]


def test_preview_renders_lesson_markdown_exactly_as_learners_read_it(client, auth):
    # One rendering path: the preview used plain-text 'prose' styling (pre-line gaps).
    space = build_space()
    lesson = space.lessons[0]
    lesson.content = "A paragraph.\n\n- one\n- two\n\nAnother paragraph."
    learner = enrol(space.run).account
    session.flush()
    auth.login(learner.email)
    learner_view = client.get(f"/learn/{space.run.uuid}/lessons/{lesson.uuid}")
    assert learner_view.status_code == 200
    auth.logout()
    auth.login(space.editor.email)
    preview = client.get(f"/partner/courses/{space.course.uuid}/preview").get_data(as_text=True)
    assert _lesson_body(preview) == _lesson_body(learner_view.get_data(as_text=True))
    assert "<li>one</li>" in _lesson_body(preview)
    assert 'class="prose lesson-content"' not in preview


def test_outline_editor_speaks_the_staff_language_and_offers_only_possible_moves(
    client, auth, home
):
    module = home["module"]
    module.lessons.append(Lesson(title="Intro video", kind="video", minutes=8, position=1))
    session.add(Module(course=home["course"], title="Week 2", position=1))
    session.flush()
    auth.login(home["editor"].email)
    url = f"/partner/courses/{home['course'].uuid}/outline"
    page = client.get(url, headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "(video, 8 min)" not in page and "(reading)" not in page
    assert "동영상" in page and "8분" in page  # kind and minutes in Korean
    english = client.get(url).get_data(as_text=True)
    assert "(Video, 8 min)" in english and "(Reading)" in english
    # The first item cannot move up, the last cannot move down.
    assert f"{module.uuid}/up" not in english and f"{module.uuid}/down" in english
    lessons = module.lessons
    assert f"{lessons[0].uuid}/up" not in english and f"{lessons[1].uuid}/down" not in english
    assert f"{lessons[0].uuid}/down" in english and f"{lessons[1].uuid}/up" in english
    # Removing asks first (portal.js reads data-confirm; no inline script).
    assert 'data-confirm="Remove the module “Week 1” and its 2 lessons?"' in english
    assert 'data-confirm="Remove the lesson “Welcome”?"' in english


def test_the_partner_area_shows_a_learner_the_way_on(client, auth, db_session):
    learner = make_account()
    db_session.commit()
    auth.login(learner.email)
    page = client.get("/partner/").get_data(as_text=True)
    assert "You are not on the staff of any partner institution." in page
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert 'href="/my/learning"' in main and 'href="/courses"' in main
