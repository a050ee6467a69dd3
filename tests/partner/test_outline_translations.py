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


def test_editor_translates_a_video_lessons_transcript(client, auth, home):
    add_korean(home["course"])
    home["lesson"].video_url = "https://youtu.be/aqz-KE-bpKQ"
    home["lesson"].transcript = "Hello and welcome."
    session.flush()
    auth.login(home["editor"].email)
    url = (
        f"/partner/courses/{home['course'].uuid}/outline/{home['module'].uuid}"
        f"/lessons/{home['lesson'].uuid}/translations/ko"
    )
    assert 'name="transcript"' in client.get(url).get_data(as_text=True)
    token = auth.csrf_token(url)
    data = {"csrf_token": token, "title": "환영", "content": "안녕", "transcript": " 안녕하세요.\n"}
    assert client.post(url, data=data).status_code == 302
    [translation] = home["lesson"].translations
    assert (translation.title, translation.content, translation.transcript) == (
        "환영",
        "안녕",
        "안녕하세요.",
    )
    assert "안녕하세요." in client.get(url).get_data(as_text=True)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "lesson")).one()
    assert entry.after["transcript[ko]"] == "안녕하세요."

    # A refused form keeps what was typed; the stored translation is unchanged.
    response = client.post(url, data={**data, "title": " ", "transcript": "새 대본"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="title-error"' in page and "새 대본" in page and "안녕</textarea>" in page
    session.expire_all()
    assert home["lesson"].translations[0].transcript == "안녕하세요."


def test_a_transcript_translation_without_a_video_is_refused_at_its_field(client, auth, home):
    add_korean(home["course"])
    auth.login(home["editor"].email)
    url = (
        f"/partner/courses/{home['course'].uuid}/outline/{home['module'].uuid}"
        f"/lessons/{home['lesson'].uuid}/translations/ko"
    )
    token = auth.csrf_token(url)
    response = client.post(
        url,
        data={"csrf_token": token, "title": "환영", "content": "*안녕*", "transcript": "대본"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="transcript-error"' in page and "add the video&#39;s address" in page
    assert 'value="환영"' in page and "*안녕*" in page and "대본</textarea>" in page
    session.expire_all()
    assert home["lesson"].translations == []
    too_long = client.post(
        url, data={"csrf_token": token, "title": "환영", "transcript": "가" * 100_001}
    )
    assert too_long.status_code == 400 and 'id="transcript-error"' in too_long.get_data(
        as_text=True
    )
