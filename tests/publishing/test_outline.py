"""The outline: ordered modules and lessons, and Markdown that cannot inject script."""

from __future__ import annotations

import pytest
from flask import render_template_string, url_for

from mooc_portal.errors import InvalidInput, NotFound
from mooc_portal.publishing import outline
from mooc_portal.publishing.outline import LessonData
from tests.factories import make_account, make_course, make_institution


@pytest.fixture
def setting(db_session):
    home = make_institution()
    return make_course(institution=home), make_account(memberships={home: "editor"})


def test_modules_and_lessons_keep_their_order(setting):
    course, editor = setting
    first = outline.add_module(editor, course, "Basics")
    second = outline.add_module(editor, course, "Policy")
    outline.move_module(editor, second, -1)
    assert [m.title for m in outline.course_modules(course)] == ["Policy", "Basics"]
    a = outline.add_lesson(editor, first, LessonData("Intro", kind="video", minutes=10))
    outline.add_lesson(editor, first, LessonData("Read", kind="reading"))
    c = outline.add_lesson(
        editor, first, LessonData("Forum", kind="external", external_url="https://example.org/x")
    )
    outline.move_lesson(editor, c, -1)
    assert [lesson.title for lesson in first.lessons] == ["Intro", "Forum", "Read"]
    outline.remove_lesson(editor, a)
    assert [(x.title, x.position) for x in first.lessons] == [("Forum", 0), ("Read", 1)]
    outline.remove_module(editor, second)
    assert [(m.title, m.position) for m in outline.course_modules(course)] == [("Basics", 0)]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (LessonData("", kind="video"), "title"),
        (LessonData("X", kind="podcast"), "kind"),
        (LessonData("X", minutes=-5), "minutes"),
        (LessonData("X", kind="external"), "external_url"),
        (LessonData("X", kind="external", external_url="javascript:alert(1)"), "external_url"),
    ],
)
def test_bad_lessons_are_refused_at_the_field(setting, data, field):
    course, editor = setting
    module = outline.add_module(editor, course, "M")
    with pytest.raises(InvalidInput) as refused:
        outline.add_lesson(editor, module, data)
    assert refused.value.field == field
    assert module.lessons == []


def test_an_empty_title_is_asked_for_and_a_long_one_named_too_long(setting):
    course, editor = setting
    with pytest.raises(InvalidInput, match=r"^Enter a title\.$"):
        outline.add_module(editor, course, "  ")
    with pytest.raises(InvalidInput, match="at most 200 characters"):
        outline.add_module(editor, course, "x" * 201)


def test_other_institutions_cannot_touch_the_outline(setting):
    course, editor = setting
    module = outline.add_module(editor, course, "M")
    stranger = make_account(memberships={make_institution(): "manager"})
    with pytest.raises(NotFound):
        outline.add_lesson(stranger, module, LessonData("X"))
    with pytest.raises(NotFound):
        outline.remove_module(stranger, module)
    with pytest.raises(NotFound):
        outline.get_module(stranger, course, module.uuid)


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<body onload=alert(1)>",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    "<IMG SRC=j&#X41vascript:alert('test2')>",
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_markdown_cannot_inject_script(payload):
    html = str(outline.render_markdown(f"Text\n\n{payload}\n\n**bold**")).lower()
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html and "onload" not in html
    assert "<iframe" not in html and "style=" not in html


def test_markdown_keeps_ordinary_formatting():
    html = str(outline.render_markdown("# Title\n\n- one\n- [link](https://example.org)"))
    assert "<h3>Title</h3>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">link</a>' in html


def test_completion_counts_the_lessons_that_count(setting):
    course, editor = setting
    second = outline.add_module(editor, course, "Second")
    first = outline.add_module(editor, course, "First")
    outline.move_module(editor, first, -1)
    outline.add_lesson(editor, second, LessonData("C"))
    outline.add_lesson(editor, first, LessonData("A"))
    outline.add_lesson(editor, first, LessonData("Optional", counts_toward_completion=False))
    outline.add_lesson(editor, first, LessonData("B", kind="quiz"))
    assert [lesson.title for lesson in outline.completion_lessons(course)] == ["A", "B", "C"]


OWN_IMAGE = "0123456789abcdef0123456789abcdef.png"


def as_page_shows(text: str) -> str:
    """``text`` through the ``mooc_markdown`` filter, as a page of this request renders it."""
    return render_template_string("{{ text|mooc_markdown }}", text=text)


@pytest.mark.parametrize(
    "src",
    [
        "https://tracker.example/pixel.png",
        "http://tracker.example/pixel.png",
        "//tracker.example/partner/media/" + OWN_IMAGE,
        "https://tracker.example/partner/media/" + OWN_IMAGE,
        "x",
        "data:image/png;base64,iVBORw0KGgo=",
        "/partner/media/../../account/logout",
        f"/partner/media/{OWN_IMAGE}?who=reviewer",
        "/elsewhere/pixel.png",
    ],
)
def test_lesson_images_cannot_come_from_elsewhere(app, src):
    with app.test_request_context(base_url="https://portal.example"):
        for text in (f"![chart]({src})", f'<img src="{src}" alt="chart">'):
            html = as_page_shows(text)
            assert "<img" in html and "src=" not in html, html
            assert "tracker" not in html


def test_lesson_images_from_the_portals_own_media_are_kept(app):
    with app.test_request_context(base_url="https://portal.example"):
        own = url_for("portal.partner.course_image_file", name=OWN_IMAGE)
        for src in (own, f"https://portal.example{own}"):
            html = as_page_shows(f"![chart]({src})")
            assert f'src="{src}"' in html and 'alt="chart"' in html


def test_outside_a_request_no_image_source_is_trusted():
    html = str(outline.render_markdown(f"![chart](/partner/media/{OWN_IMAGE})"))
    assert "src=" not in html


def test_links_in_lessons_open_without_opener_or_referrer(app):
    with app.test_request_context():
        html = str(
            outline.render_markdown(
                '[a](https://example.org) <a href="/courses" rel="opener" target="_blank">b</a>'
            )
        )
    assert html.count('rel="noopener noreferrer"') == 2
    assert 'rel="opener"' not in html


def test_lesson_headings_start_below_the_page_and_lesson_titles(app):
    from mooc_portal.publishing.outline import render_markdown

    with app.test_request_context("/"):
        html = str(render_markdown("# Week one\n\n## Reading\n\ntext"))
    assert "<h1" not in html and "<h2" not in html
    assert "<h3" in html and "Week one" in html and "<h4" in html


def test_removing_a_video_takes_its_translated_transcripts_along(setting):
    from mooc_portal.catalog.models import CourseTranslation

    course, editor = setting
    course.translations.append(CourseTranslation(language="ko", title="강좌"))
    module = outline.add_module(editor, course, "Basics")
    video = LessonData(
        "Talk", kind="video", video_url="https://youtu.be/aqz-KE-bpKQ", transcript="Hello."
    )
    lesson = outline.add_lesson(editor, module, video)
    outline.translate_lesson(editor, lesson, "ko", "강연", "내용", "안녕하세요.")
    # Another video keeps them (the partner corrects the address).
    video.video_url = "https://vimeo.com/76979871"
    outline.update_lesson(editor, lesson, video)
    assert lesson.translations[0].transcript == "안녕하세요."
    with pytest.raises(InvalidInput) as refused:  # the original's transcript is cleared first
        outline.update_lesson(editor, lesson, LessonData("Talk", kind="video", transcript="Hi"))
    assert refused.value.field == "video_url"
    outline.update_lesson(editor, lesson, LessonData("Talk", kind="video"))
    [translation] = lesson.translations
    kept = (translation.title, translation.content, translation.transcript)
    assert kept == ("강연", "내용", None)
    with pytest.raises(InvalidInput) as refused:
        outline.translate_lesson(editor, lesson, "ko", "강연", None, "안녕하세요.")
    assert refused.value.field == "transcript"
