"""Video lessons (issue 12, "Lessons"): YouTube, Vimeo and allowed PeerTube videos play in the
page in privacy-enhanced mode, with the transcript under them; the CSP frames only those."""

from __future__ import annotations

import pytest

from mooc_portal.db import session
from mooc_portal.video import NotAVideo, frame_origins, parse_video
from tests.progress.conftest import build_space, enrol

TUBE = "tube.example.org"


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        ("https://www.youtube.com/watch?v=aqz-KE-bpKQ", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"),
        ("https://youtu.be/aqz-KE-bpKQ?t=10", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"),
        ("https://www.youtube.com/embed/aqz-KE-bpKQ", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        (f"https://{TUBE}/w/9c9de5e8-0a1e-484a-b099-e80766180a6d", f"https://{TUBE}/videos/embed/9c9de5e8-0a1e-484a-b099-e80766180a6d?p2p=0"),
        (f"https://{TUBE}/videos/watch/kkGMgK9ZtnKfYAgnEtQxbv", f"https://{TUBE}/videos/embed/kkGMgK9ZtnKfYAgnEtQxbv?p2p=0"),
    ],
)  # fmt: skip
def test_video_addresses_become_privacy_enhanced_embeds(url, embed):
    assert parse_video(url, [TUBE]).embed_url == embed


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=short",
        "https://evil.example/watch?v=aqz-KE-bpKQ",
        "https://other-tube.example.org/w/9c9de5e8-0a1e-484a-b099-e80766180a6d",
        f"http://{TUBE}/w/9c9de5e8-0a1e-484a-b099-e80766180a6d",
        "https://vimeo.com/channels/staffpicks",
        "javascript:alert(1)",
        "not a url",
    ],
)
def test_other_addresses_are_not_videos(url):
    with pytest.raises(NotAVideo):
        parse_video(url, [TUBE])


def test_the_csp_frames_exactly_the_allowed_video_origins(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MOOC_PEERTUBE_INSTANCES", [f"https://{TUBE}/", "bad host!"])
    policy = client.get("/").headers["Content-Security-Policy"]
    frames = next(p for p in policy.split("; ") if p.startswith("frame-src "))
    assert frames.split()[1:] == [
        "https://www.youtube-nocookie.com",
        "https://player.vimeo.com",
        f"https://{TUBE}",
    ]
    assert frame_origins([]) == ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy


def test_a_video_lesson_plays_in_the_page_with_its_transcript(client, auth):
    space = build_space()
    lesson = space.lessons[1]
    lesson.video_url = "https://vimeo.com/76979871"
    lesson.transcript = "Waves move <energy>.\nNot water."
    lesson.content = "Watch *closely*."
    learner = enrol(space.run)
    session.commit()
    auth.login(learner.account.email)
    page = client.get(f"/learn/{space.run.uuid}/lessons/{lesson.uuid}").get_data(as_text=True)
    frame = page.index('<iframe src="https://player.vimeo.com/video/76979871?dnt=1"')
    transcript = page.index(f'<h2 id="transcript-{lesson.uuid}" class="transcript-heading">')
    assert frame < transcript < page.index('class="lesson-content"')
    assert 'title="Video: Wave video"' in page
    assert "Waves move &lt;energy&gt;.\nNot water." in page  # plain text, escaped


def test_outline_editor_takes_a_video_and_refuses_other_sites(client, auth, app, monkeypatch):
    from mooc_portal.catalog.outline import Module
    from tests.factories import make_account, make_course, make_institution

    monkeypatch.setitem(app.config, "MOOC_PEERTUBE_INSTANCES", [TUBE])
    institution = make_institution()
    editor = make_account(memberships={institution: "editor"})
    course = make_course(institution=institution, status="draft")
    module = Module(course=course, title="Week 1", position=0)
    session.add(module)
    session.commit()
    auth.login(editor.email)
    url = f"/partner/courses/{course.uuid}/outline/{module.uuid}/lessons/new"
    token = auth.csrf_token(url)
    form = {"csrf_token": token, "title": "Talk", "kind": "video", "minutes": "8"}
    page = client.get(url).get_data(as_text=True)
    assert 'name="video_url"' in page and 'name="transcript"' in page

    bad = client.post(url, data={**form, "video_url": "https://videos.example/watch/1"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert 'id="video_url-error"' in text and TUBE in text and "YouTube, Vimeo" in text
    lonely = client.post(url, data={**form, "transcript": "Words without a video."})
    assert lonely.status_code == 400 and 'id="video_url-error"' in lonely.get_data(as_text=True)

    good = client.post(
        url,
        data={**form, "video_url": "https://youtu.be/aqz-KE-bpKQ", "transcript": "Hello."},
    )
    assert good.status_code == 302
    session.expire_all()
    lesson = module.lessons[0]
    assert (lesson.video_url, lesson.transcript) == ("https://youtu.be/aqz-KE-bpKQ", "Hello.")


def _between(page: str, start: str, end: str) -> str:
    """The markup from ``start`` to the end of ``end`` (both must be there)."""
    first = page.index(start)
    return page[first : page.index(end, first) + len(end)]


def test_the_preview_and_the_review_show_a_lesson_as_its_learners_do(client, auth):
    """One rendering of a lesson (issue 12, defect 6): the partner's preview and the admin
    review show the video, its transcript and the Markdown exactly as the course space does."""
    from tests.factories import make_account

    space = build_space()
    lesson = space.lessons[1]
    lesson.video_url = "https://www.youtube.com/watch?v=aqz-KE-bpKQ"
    lesson.transcript = "Waves move <energy>."
    lesson.content = "Read *this* first."
    learner = enrol(space.run)
    partner = make_account(memberships={space.course.institution: "editor"})
    session.commit()

    auth.login(learner.account.email)
    learning = client.get(f"/learn/{space.run.uuid}/lessons/{lesson.uuid}").get_data(as_text=True)
    embed = '<iframe src="https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"'
    shown = [
        _between(learning, embed, "</iframe>"),
        _between(learning, '<div class="transcript-text">', "</div>"),
        _between(learning, '<div class="lesson-content">', "</div>"),
    ]
    assert 'title="Video: Wave video"' in shown[0] and "<em>this</em>" in shown[2]
    auth.logout()
    for who, url in (
        (partner.email, f"/partner/courses/{space.course.uuid}/preview"),
        (space.editor.email, f"/admin/courses/{space.course.uuid}"),
    ):
        auth.login(who)
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert all(part in page for part in shown), url
        assert page.index(embed) < page.index("Waves move &lt;energy&gt;.") < page.index("<em>this")
        heading = f'<h4 id="transcript-{lesson.uuid}" class="transcript-heading">Transcript</h4>'
        assert heading in page
        policy = response.headers["Content-Security-Policy"]
        assert "frame-src https://www.youtube-nocookie.com " in policy
        auth.logout()


def test_the_transcript_is_in_the_visitors_language_with_the_contents_fallback(client, auth):
    from mooc_portal.catalog.outline import LessonTranslation

    space = build_space()
    lesson = space.lessons[1]
    lesson.video_url = "https://vimeo.com/76979871"
    lesson.transcript = "Waves move."
    lesson.translations = [
        LessonTranslation(language="ko", title="파도 영상", transcript="파도가 움직입니다."),
        LessonTranslation(language="de", title="Wellenvideo", content="Wellen *bewegen* sich."),
    ]
    learner = enrol(space.run)
    session.commit()
    auth.login(learner.account.email)
    url = f"/learn/{space.run.uuid}/lessons/{lesson.uuid}"

    def transcript(language: str) -> str:
        page = client.get(url, headers={"Accept-Language": language}).get_data(as_text=True)
        return _between(page, '<div class="transcript-text"', "</div>")

    assert transcript("ko") == '<div class="transcript-text">파도가 움직입니다.</div>'
    # No German transcript: the original (English) one, marked as English on the German page.
    assert transcript("de") == '<div class="transcript-text" lang="en">Waves move.</div>'
    assert transcript("en") == '<div class="transcript-text">Waves move.</div>'


def test_an_english_transcript_comes_before_the_original_one(client, auth):
    from mooc_portal.catalog.outline import LessonTranslation

    space = build_space(original_language="ko", teaching_languages=("ko", "en"))
    lesson = space.lessons[1]
    lesson.video_url = "https://vimeo.com/76979871"
    lesson.transcript = "파도가 움직입니다."
    lesson.translations = [
        LessonTranslation(language="en", title="Wave video", transcript="Waves move.")
    ]
    learner = enrol(space.run)
    session.commit()
    auth.login(learner.account.email)
    page = client.get(
        f"/learn/{space.run.uuid}/lessons/{lesson.uuid}", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
    assert '<div class="transcript-text" lang="en">Waves move.</div>' in page
