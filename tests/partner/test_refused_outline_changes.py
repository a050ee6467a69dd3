"""Issue 12, defect 5: a change in the outline editor that is refused (a title too long, an
expired form) shows the outline editor again with the message at the module or lesson, the
typed title kept, answering 400; nothing changes."""

from __future__ import annotations

import re

from mooc_portal.catalog.outline import Lesson, Module
from mooc_portal.db import session


def outline_page(response) -> str:
    page = response.get_data(as_text=True)
    assert "<h1>Outline of Home Draft</h1>" in page, "not the outline editor"
    return page


def test_a_refused_rename_keeps_the_typed_title_at_the_module(client, auth, home):
    course, module = home["course"], home["module"]
    auth.login(home["editor"].email)
    base = f"/partner/courses/{course.uuid}/outline"
    typed = "W" * 201
    response = client.post(
        f"{base}/{module.uuid}/rename", data={"csrf_token": auth.csrf_token(base), "title": typed}
    )
    assert response.status_code == 400
    page = outline_page(response)
    box = f"rename-{module.uuid}"
    assert re.search(rf'id="{box}" name="title" value="{typed}"[^>]*aria-invalid="true"', page)
    assert re.search(rf'id="{box}-error">[^<]*200', page)
    session.expire_all()
    assert session.get(Module, module.id).title == "Week 1"


def test_an_expired_form_on_a_move_or_removal_comes_back_to_the_outline(client, auth, home):
    course, module, lesson = home["course"], home["module"], home["lesson"]
    auth.login(home["editor"].email)
    base = f"/partner/courses/{course.uuid}/outline"
    for url, item in (
        (f"{base}/{module.uuid}/delete", module),
        (f"{base}/{module.uuid}/lessons/{lesson.uuid}/delete", lesson),
        (f"{base}/{module.uuid}/lessons/{lesson.uuid}/down", lesson),
    ):
        response = client.post(url, data={"csrf_token": "stale"})
        assert response.status_code == 400, url
        page = outline_page(response)
        assert f'<a href="#item-{item.uuid}">The form has expired; try again.</a>' in page
    session.expire_all()
    assert session.get(Lesson, lesson.id) is not None
    assert session.get(Module, module.id) is not None
