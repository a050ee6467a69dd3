from __future__ import annotations

import pytest

from mooc_portal.catalog.outline import Lesson, Module
from mooc_portal.db import session
from tests.factories import make_account, make_course, make_institution, make_run


@pytest.fixture
def home(db_session):
    """An institution with a manager, an editor, and a draft course with a run and an outline."""
    institution = make_institution("Home University", slug="home-u")
    manager = make_account("manager@home.example", memberships={institution: "manager"})
    editor = make_account("editor@home.example", memberships={institution: "editor"})
    course = make_course("Home Draft", institution=institution, status="draft", code="HOME1")
    run = make_run(course)
    module = Module(course=course, title="Week 1", position=0)
    module.lessons.append(Lesson(title="Welcome", kind="reading", position=0, content="Hi"))
    session.add(module)
    session.flush()
    return {
        "institution": institution,
        "manager": manager,
        "editor": editor,
        "course": course,
        "run": run,
        "module": module,
        "lesson": module.lessons[0],
    }


@pytest.fixture
def stranger(db_session):
    return make_account("stranger@other.example", memberships={make_institution(): "manager"})


@pytest.fixture
def admin(db_session):
    return make_account("admin@portal.example", is_admin=True)
