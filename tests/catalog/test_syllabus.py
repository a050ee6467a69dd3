"""The public course page shows the syllabus; the lessons' content stays for enrolled learners."""

from datetime import timedelta

from mooc_portal.catalog.outline import Lesson, Module
from mooc_portal.db import session, utcnow
from tests.factories import make_account, make_course, make_run


def outline(course):
    module = Module(course=course, title="Week 1: Foundations", position=0)
    module.lessons.append(
        Lesson(title="What is a watershed?", kind="video", minutes=12, position=0, content="SECRET")
    )
    session.add(module)
    session.flush()


def test_course_page_lists_modules_and_lessons_without_their_content(client, db_session):
    course = make_course("River Basins", slug="river-basins", accessibility_statement="Captioned.")
    outline(course)
    page = client.get("/courses/river-basins").get_data(as_text=True)
    assert "Syllabus" in page
    assert "Week 1: Foundations" in page and "What is a watershed?" in page
    assert "12 min" in page
    assert "SECRET" not in page
    assert "Captioned." in page


def test_the_preview_is_the_course_page_without_enrolment(client, auth, db_session):
    course = make_course("Draft Basins", status="draft", slug="draft-basins")
    outline(course)
    make_run(course, enrollment_start_at=utcnow() - timedelta(days=1))
    editor = make_account(memberships={course.institution: "editor"})
    auth.login(editor.email)
    page = client.get(f"/partner/courses/{course.uuid}/preview").get_data(as_text=True)
    assert 'id="course-title"' in page and "Draft Basins" in page
    assert "What is a watershed?" in page and "SECRET" in page  # staff check their content
    assert "/enrol" not in page and "Log in to enrol" not in page
    assert client.get("/courses/draft-basins").status_code == 404  # still not public
