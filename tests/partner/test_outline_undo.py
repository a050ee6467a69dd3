"""Removing a module or lesson from the outline can be undone from the flash message."""

import re

import pytest
from sqlalchemy import func, select

from mooc_portal.catalog.models import CourseTranslation
from mooc_portal.catalog.outline import Lesson, LessonTranslation, Module, ModuleTranslation
from mooc_portal.db import session
from mooc_portal.enrollment.services import enroll
from mooc_portal.errors import InvalidInput
from mooc_portal.progress.models import LessonCompletion
from mooc_portal.progress.services import mark_complete
from mooc_portal.publishing import outline
from mooc_portal.publishing.outline import LessonData
from tests.factories import make_account

UNDO = re.compile(r'<form method="post" action="([^"]+/outline/undo/[^"]+)"')


def test_a_removed_lesson_comes_back_with_its_place_translation_and_progress(client, auth, home):
    course, module, welcome = home["course"], home["module"], home["lesson"]
    course.status = "published"
    second = outline.add_lesson(home["editor"], module, LessonData("Reading"))
    outline.add_lesson(home["editor"], module, LessonData("Quiz", kind="quiz"))
    welcome.translations.append(LessonTranslation(language="ko", title="환영", content="안녕"))
    learner = make_account("learner@home.example")
    enrollment = enroll(home["run"], learner, actor=learner)
    mark_complete(enrollment, second, actor=learner)
    lesson_id, lesson_uuid = second.id, second.uuid
    session.commit()

    auth.login(home["editor"].email)
    base = f"/partner/courses/{course.uuid}/outline"
    token = auth.csrf_token(base)
    removed = client.post(
        f"{base}/{module.uuid}/lessons/{lesson_uuid}/delete",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    page = removed.get_data(as_text=True)
    assert "The lesson “Reading” is removed." in page
    assert session.get(Lesson, lesson_id) is None
    assert session.scalar(select(func.count()).select_from(LessonCompletion)) == 0

    undo = UNDO.search(page)
    assert undo and ">Undo</button>" in page
    assert client.post(undo.group(1)).status_code == 400  # no CSRF token, nothing happens
    restored = client.post(undo.group(1), data={"csrf_token": token}, follow_redirects=True)
    assert "“Reading” is back in the outline." in restored.get_data(as_text=True)
    session.expire_all()
    lesson = session.get(Lesson, lesson_id)
    assert lesson.uuid == lesson_uuid
    assert [(x.title, x.position) for x in session.get(Module, module.id).lessons] == [
        ("Welcome", 0),
        ("Reading", 1),
        ("Quiz", 2),
    ]
    assert session.scalars(select(LessonCompletion.lesson_id)).all() == [lesson_id]

    again = client.post(undo.group(1), data={"csrf_token": token}, follow_redirects=True)
    assert "This removal can no longer be undone." in again.get_data(as_text=True)
    assert len(session.get(Module, module.id).lessons) == 3


def test_a_removed_module_comes_back_with_its_lessons_and_translations(home):
    course, editor, module = home["course"], home["editor"], home["module"]
    later = outline.add_module(editor, course, "Week 2")
    module.lessons[0].translations.append(LessonTranslation(language="ko", title="환영"))
    module.translations.append(ModuleTranslation(language="ko", title="1주차"))
    session.flush()
    module_id, lesson_id = module.id, module.lessons[0].id
    removal = outline.remove_module(editor, module)
    session.flush()
    session.expire_all()
    assert [m.title for m in outline.course_modules(course)] == ["Week 2"]
    assert session.get(Lesson, lesson_id) is None

    assert outline.undo_removal(editor, course, removal.uuid) == "Week 1"
    session.expire_all()
    modules = outline.course_modules(course)
    assert [(m.id, m.title, m.position) for m in modules] == [
        (module_id, "Week 1", 0),
        (later.id, "Week 2", 1),
    ]
    (lesson,) = modules[0].lessons
    assert lesson.id == lesson_id
    assert [(t.language, t.title) for t in lesson.translations] == [("ko", "환영")]
    assert [(t.language, t.title) for t in modules[0].translations] == [("ko", "1주차")]


def test_a_lesson_of_a_removed_module_waits_for_the_module(home):
    course, editor, module = home["course"], home["editor"], home["module"]
    lesson_removal = outline.remove_lesson(editor, home["lesson"])
    module_removal = outline.remove_module(editor, module)
    session.flush()
    with pytest.raises(InvalidInput):
        outline.undo_removal(editor, course, lesson_removal.uuid)
    outline.undo_removal(editor, course, module_removal.uuid)
    outline.undo_removal(editor, course, lesson_removal.uuid)
    session.expire_all()
    assert [lesson.title for lesson in outline.course_modules(course)[0].lessons] == ["Welcome"]


def test_the_outline_and_staff_pages_read_well(client, auth, home):
    """A lesson's facts and its buttons are apart; the staff table names roles; the page's many
    forms repeat no id (the CSRF field is rendered without one)."""
    outline.add_lesson(home["editor"], home["module"], LessonData("Second", minutes=15))
    session.commit()
    auth.login(home["manager"].email)
    page = client.get(f"/partner/courses/{home['course'].uuid}/outline").get_data(as_text=True)
    assert "15 min)</span> <form" in page
    staff = client.get(f"/partner/{home['institution'].slug}/staff").get_data(as_text=True)
    assert "<td>Manager</td>" in staff and "<td>Editor</td>" in staff
    for html in (page, staff):
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
        assert html.count('name="csrf_token"') > 2


def test_a_removed_course_translation_can_be_put_back(client, auth, home):
    course = home["course"]
    course.translations.append(
        CourseTranslation(
            language="ko", title="집 초안", summary="요약", learning_outcomes="- 하나"
        )
    )
    session.commit()
    auth.login(home["editor"].email)
    overview = f"/partner/courses/{course.uuid}/"
    token = auth.csrf_token(overview)
    removed = client.post(
        f"/partner/courses/{course.uuid}/translations/ko/delete",
        data={"csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "The translation is removed." in removed
    undo = re.search(r'<form method="post" action="([^"]+/translations/ko/restore)"', removed)
    assert undo and ">Undo</button>" in removed
    back = client.post(undo.group(1), data={"csrf_token": token}, follow_redirects=True)
    assert "The translation is back." in back.get_data(as_text=True)
    session.expire_all()
    (korean,) = [t for t in course.translations if t.language == "ko"]
    assert (korean.title, korean.summary, korean.learning_outcomes) == ("집 초안", "요약", "- 하나")
    again = client.post(undo.group(1), data={"csrf_token": token}, follow_redirects=True)
    assert "The course already has a text in this language." in again.get_data(as_text=True)
