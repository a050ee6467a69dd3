"""Staff translate module titles and lessons into the course's other languages."""

from sqlalchemy import select

from mooc_portal.audit.models import AuditEntry
from mooc_portal.catalog.models import CourseTranslation
from mooc_portal.db import session


def add_korean(course):
    course.translations.append(CourseTranslation(language="ko", title="집 초안"))
    session.flush()


def test_editor_translates_a_module_and_a_lesson(client, auth, home):
    add_korean(home["course"])
    auth.login(home["editor"].email)
    base = f"/partner/courses/{home['course'].uuid}/outline"
    outline = client.get(base).get_data(as_text=True)
    module_url = f"{base}/{home['module'].uuid}/translations/ko"
    lesson_url = f"{base}/{home['module'].uuid}/lessons/{home['lesson'].uuid}/translations/ko"
    assert f'href="{module_url}"' in outline and f'href="{lesson_url}"' in outline
    assert "Translate into 한국어" not in outline  # the page is in English
    assert "Translate into Korean" in outline

    token = auth.csrf_token(module_url)
    response = client.post(module_url, data={"csrf_token": token, "title": "1주차"})
    assert response.status_code == 302
    response = client.post(
        lesson_url, data={"csrf_token": token, "title": "환영", "content": "*안녕*"}
    )
    assert response.status_code == 302
    assert "Edit in Korean" in client.get(base).get_data(as_text=True)
    form = client.get(lesson_url).get_data(as_text=True)
    assert 'value="환영"' in form and "*안녕*" in form

    response = client.post(lesson_url, data={"csrf_token": token, "title": "환영합니다"})
    assert response.status_code == 302
    translations = {t.language: t for t in home["lesson"].translations}
    assert translations["ko"].title == "환영합니다" and translations["ko"].content is None
    assert [t.title for t in home["module"].translations] == ["1주차"]

    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.entity.in_(("module", "lesson")))
    ).all()
    assert {(e.entity, e.action) for e in entries} == {("module", "update"), ("lesson", "update")}
    assert any(e.after == {"title[ko]": "1주차"} for e in entries)

    preview = client.get(
        f"/partner/courses/{home['course'].uuid}/preview", headers={"Accept-Language": "ko"}
    ).get_data(as_text=True)
    assert "<h3>1주차</h3>" in preview and "<span>환영합니다</span>" in preview


def test_only_the_course_languages_and_valid_titles_are_accepted(client, auth, home):
    add_korean(home["course"])
    auth.login(home["editor"].email)
    base = f"/partner/courses/{home['course'].uuid}/outline/{home['module'].uuid}"
    token = auth.csrf_token(f"{base}/translations/ko")
    for language in ("fr", "en"):  # no French course text; English is the original
        response = client.post(
            f"{base}/translations/{language}", data={"csrf_token": token, "title": "Semaine"}
        )
        assert response.status_code == 404
    response = client.post(f"{base}/translations/ko", data={"csrf_token": token, "title": " "})
    assert response.status_code == 400
    assert 'id="title-error"' in response.get_data(as_text=True)
    response = client.post(f"{base}/translations/ko", data={"title": "1주차"})  # no CSRF token
    assert response.status_code == 400
    assert home["module"].translations == []


def test_staff_of_another_institution_cannot_translate(client, auth, home, stranger):
    add_korean(home["course"])
    auth.login(stranger.email)
    base = f"/partner/courses/{home['course'].uuid}/outline/{home['module'].uuid}"
    token = auth.csrf_token("/")
    for url in (f"{base}/translations/ko", f"{base}/lessons/{home['lesson'].uuid}/translations/ko"):
        assert client.get(url).status_code in (403, 404)
        response = client.post(url, data={"csrf_token": token, "title": "탈취"})
        assert response.status_code in (403, 404)
    assert home["module"].translations == [] and home["lesson"].translations == []


def test_the_service_refuses_a_language_the_course_has_no_text_in(home):
    import pytest

    from mooc_portal.errors import InvalidInput
    from mooc_portal.publishing.outline import translate_lesson, translate_module

    add_korean(home["course"])
    with pytest.raises(InvalidInput) as refused:
        translate_module(home["editor"], home["module"], "fr", "Semaine 1")
    assert refused.value.field == "language"
    with pytest.raises(InvalidInput):
        translate_lesson(home["editor"], home["lesson"], "en", "Welcome", None)
    translate_lesson(home["editor"], home["lesson"], "ko", "환영", "내용")
    assert [(t.language, t.title) for t in home["lesson"].translations] == [("ko", "환영")]
