"""The outline in the visitor's language: module and lesson titles and lesson content."""

from mooc_portal.catalog.outline import LessonTranslation, ModuleTranslation
from mooc_portal.db import session
from mooc_portal.publishing.outline import LessonData, add_lesson, add_module
from tests.factories import make_account, make_course
from tests.progress.conftest import build_space, enrol

KO = {"Accept-Language": "ko"}


def translated_outline(course, editor, modules=1):
    """``modules`` modules of two lessons; all but the last lesson translated into Korean."""
    for m in range(modules):
        module = add_module(editor, course, f"Week {m}")
        module.translations.append(ModuleTranslation(language="ko", title=f"{m}주차"))
        first = add_lesson(editor, module, LessonData(f"Rivers {m}", content="About *rivers*."))
        first.translations.append(
            LessonTranslation(language="ko", title=f"강 {m}", content="*강*에 대하여.")
        )
        add_lesson(editor, module, LessonData(f"Lakes {m}"))
    session.flush()


def test_korean_visitor_sees_korean_syllabus_and_english_where_untranslated(client):
    course = make_course(slug="rivers", titles={"en": "Rivers", "ko": "강"})
    translated_outline(course, make_account(is_admin=True))
    html = client.get("/courses/rivers", headers=KO).get_data(as_text=True)
    assert "<h3>0주차</h3>" in html
    assert "<span>강 0</span>" in html
    assert '<span lang="en">Lakes 0</span>' in html
    assert "Rivers 0" not in html and "Week 0" not in html

    html = client.get("/courses/rivers").get_data(as_text=True)  # English: the original
    assert "<h3>Week 0</h3>" in html and "<span>Rivers 0</span>" in html
    assert "주차" not in html


def test_course_space_and_lesson_page_show_the_korean_lesson(client, auth):
    space = build_space(titles={"en": "Ocean Science", "ko": "해양 과학"})
    first = space.lessons[0]
    first.translations.append(
        LessonTranslation(language="ko", title="파도란 무엇인가", content="물이 *움직입니다*.")
    )
    space.modules[0].translations.append(ModuleTranslation(language="ko", title="파도"))
    learner = enrol(space.run).account
    session.flush()
    auth.login(learner.email)

    html = client.get(f"/learn/{space.run.uuid}", headers=KO).get_data(as_text=True)
    assert '<h2 class="outline-module">파도</h2>' in html
    assert ">파도란 무엇인가</a>" in html
    assert '<h2 class="outline-module" lang="en">Tides</h2>' in html
    assert 'lang="en">Wave video</a>' in html

    url = f"/learn/{space.run.uuid}/lessons/{first.uuid}"
    html = client.get(url, headers=KO).get_data(as_text=True)
    assert '<h1 id="lesson-title">파도란 무엇인가</h1>' in html
    assert '<div class="lesson-content"><p>물이 <em>움직입니다</em>.</p>' in html
    assert "Water" not in html

    html = client.get("/my/learning", headers=KO).get_data(as_text=True)
    assert ">파도란 무엇인가</a>" in html  # the next lesson
    assert "What is a wave" not in html

    html = client.get(url).get_data(as_text=True)  # in English, the original
    assert '<h1 id="lesson-title">What is a wave</h1>' in html and "<em>moves</em>" in html


def test_course_page_query_count_does_not_depend_on_translated_modules(client, count_queries):
    editor = make_account(is_admin=True)
    translated_outline(make_course(slug="few", titles={"en": "Few", "ko": "적음"}), editor)
    translated_outline(make_course(slug="many", titles={"en": "Many", "ko": "많음"}), editor, 6)
    counts = []
    for url in ("/courses/few", "/courses/many"):
        with count_queries() as counter:
            assert client.get(url, headers=KO).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_an_untranslated_outline_falls_back_to_english_before_the_original(app):
    # A Korean course translated into English, read in a third language (French).
    course = make_course(slug="gang", original_language="ko", titles={"ko": "강"})
    module = add_module(make_account(is_admin=True), course, "1주차")
    module.translations.append(ModuleTranslation(language="en", title="Week 1"))
    session.flush()
    assert module.text("title", "fr").text == "Week 1"
    assert module.text("title", "fr").language == "en"
    assert module.text("title", "ko").text == "1주차"
