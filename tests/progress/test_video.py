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
    learner = enrol(space.run)
    session.commit()
    auth.login(learner.account.email)
    page = client.get(f"/learn/{space.run.uuid}/lessons/{lesson.uuid}").get_data(as_text=True)
    frame = page.index('<iframe src="https://player.vimeo.com/video/76979871?dnt=1"')
    transcript = page.index('<h2 id="transcript-heading">Transcript</h2>')
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
