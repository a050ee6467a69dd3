from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from mooc_portal.caching import portal_cache
from mooc_portal.db import session, utcnow
from tests.factories import make_course, make_institution, make_run


def page(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_catalog_lists_public_courses_with_count_and_card_content(client):
    institution = make_institution("Hanyang University", country="KR")
    course = make_course(
        "Robotics Now",
        institution=institution,
        summary="Build robots.",
        runs=1,
        teaching_languages=("en", "ko"),
    )
    make_course("Secret Draft", status="draft")

    html = page(client, "/courses")
    assert "1 course found" in html
    assert "Robotics Now" in html and "Secret Draft" not in html
    assert "Hanyang University" in html and "Build robots." in html
    assert f'/courses/{course.slug}"' in html
    assert "Korean" in html and "English" in html
    assert "Open for enrolment" in html


def test_catalog_search_and_facet_filters_through_the_url(client):
    europe = make_institution("Sorbonne", country="FR")
    make_course("Climate Policy", institution=europe, level="advanced")
    make_course("Climate Basics", level="introductory")

    html = page(client, "/courses?q=climate&region=europe")
    assert "1 course found" in html
    assert "Climate Policy" in html and "Climate Basics" not in html
    assert 'name="region" value="europe" checked' in html
    assert "Clear filters" in html


@pytest.mark.parametrize(
    "url",
    [
        "/courses?level=wizard",
        "/courses?page=abc",
        "/courses?page=99999",
        "/courses?page=-1",
        "/courses?sort=sideways",
        "/courses?country=XX",
        "/courses?language=%21%21",
        "/courses?availability=soonish",
        "/courses?subject=9999",
        "/courses?institution=Not%20a%20slug",
        "/courses?institution=no-such-partner",
    ],
)
def test_bad_filters_and_pages_are_ignored_with_a_notice(client, url):
    make_course("Still Listed")
    html = page(client, url)
    assert "Still Listed" in html
    assert 'class="notice notice-warning"' in html


def test_out_of_range_page_shows_the_first_page(client):
    make_course("Only One")
    html = page(client, "/courses?page=99999")
    assert "There is no page 99999" in html
    assert "Only One" in html


def test_pagination_links_keep_the_filters(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MOOC_PAGE_SIZE", 2)
    for n in range(5):
        make_course(f"Paged {n}", level="advanced")
    html = page(client, "/courses?level=advanced&page=2")
    assert "Page 2 of 3" in html
    assert "level=advanced&amp;page=3" in html
    assert 'href="/courses?level=advanced" rel="prev"' in html
    assert 'aria-current="page">2<' in html
    assert (
        '<link rel="canonical" href="http://localhost/courses?level=advanced&amp;page=2">' in html
    )


def test_unknown_and_unpublished_course_slugs_give_404(client):
    draft = make_course(status="draft")
    assert client.get("/courses/no-such-course").status_code == 404
    response = client.get(f"/courses/{draft.slug}")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_course_page_shows_what_a_learner_needs(client):
    institution = make_institution("Universität Wien", country="AT", slug="uni-wien")
    course = make_course(
        "Quantum Computing",
        institution=institution,
        summary="Qubits explained.",
        level="advanced",
        pace="self_paced",
        credential="ects",
        ects_credits=Decimal("5"),
        effort_hours=Decimal("3"),
        length_weeks=8,
        teaching_languages=("en",),
        subtitle_languages=("ko",),
        subjects=("0533",),
        slug="quantum",
    )
    course.translations[0].description = "A long description."
    course.translations[0].learning_outcomes = "Write a quantum circuit."
    now = utcnow()
    make_run(
        course,
        start=now + timedelta(days=30),
        capacity=40,
        enrollment_start_at=now + timedelta(days=5),
    )
    make_run(course, start=now - timedelta(days=100), weeks=4, delivery_mode="blended")
    make_run(
        course,
        start=now + timedelta(days=3),
        enrollment_start_at=now - timedelta(days=1),
        enrollment_end_at=now + timedelta(days=2),
    )

    html = page(client, "/courses/quantum")
    for expected in (
        "Quantum Computing",
        "Qubits explained.",
        "A long description.",
        "Write a quantum circuit.",
        "Universität Wien",
        'href="/institutions/uni-wien"',
        "Advanced",
        "Self-paced",
        "3 hours per week",
        "8 weeks",
        "5 ECTS credits",
        "English",
        "Korean",
        "Physics",
        "40",
        "Unlimited",
        "Blended",
        "Enrolment opens on",
        "Archived",
        "This run has ended; enrolment is closed.",
        "Enrolment is open",
        "Open for enrolment",
        '<link rel="canonical" href="http://localhost/courses/quantum">',
    ):
        assert expected in html, expected


def test_text_in_another_language_than_the_page_carries_its_lang(client):
    institution = make_institution("Hankuk University", country="KR")
    make_course(
        slug="ko-only",
        titles={"ko": "한국 문학"},
        original_language="ko",
        institution=institution,
        runs=1,
    )
    for url in ("/courses/ko-only", "/courses", "/"):
        html = page(client, url)
        assert '<span lang="ko">한국 문학</span>' in html, url
        assert "<span>Hankuk University</span>" in html, url  # English, like the page


def test_course_page_follows_the_visitor_language(client):
    make_course(slug="bi", titles={"en": "Korean History", "ko": "한국사"})
    html = page(client, "/courses/bi", headers={"Accept-Language": "ko"})
    assert "한국사" in html and "Korean History" not in html


def _course_in_three_languages():
    """A Vietnamese course: complete in English, only a title and summary in Korean."""
    course = make_course(
        slug="tri",
        original_language="vi",
        titles={"vi": "Lịch sử Việt Nam", "en": "History of Vietnam", "ko": "베트남의 역사"},
        teaching_languages=("vi",),
    )
    texts = {t.language: t for t in course.translations}
    texts["vi"].description = "Mô tả tiếng Việt."
    texts["en"].description = "An English description."
    texts["en"].learning_outcomes = "Read English sources."
    session.flush()
    return course


def test_course_page_falls_back_per_field_to_english_then_the_original(client):
    _course_in_three_languages()
    html = page(client, "/courses/tri", headers={"Accept-Language": "ko"})
    assert "베트남의 역사" in html  # the Korean title
    # Korean has no description or outcomes: English comes before the Vietnamese original,
    # and the sections stay, marked with their language.
    assert 'id="about-title"' in html
    assert '<div class="prose" lang="en">' in html and "An English description." in html
    assert "Mô tả tiếng Việt." not in html
    assert 'id="outcomes-title"' in html and "Read English sources." in html


@pytest.mark.parametrize("cookie", ["Asia/Seoul", "Asia%2FSeoul"], ids=["raw", "url-encoded"])
def test_run_dates_are_shown_in_the_visitor_time_zone(client, cookie):
    # portal.js writes the zone URL-encoded, as a browser's document.cookie must carry it.
    course = make_course(slug="tz")
    make_run(course, start=datetime(2031, 3, 1, 23, 30, tzinfo=UTC))
    client.set_cookie("mooc_tz", cookie)
    html = page(client, "/courses/tz")
    assert "March 2, 2031" in html  # 08:30 the next day in Seoul
    assert "Mar 2, 2031, 8:30" in html
    start = html.split("Mar 2, 2031, 8:30", 1)[1][:30]
    assert not start.startswith(":00")  # no seconds
    assert "Korean Standard Time" in start  # the zone the times are in


def test_run_dates_name_utc_without_a_time_zone_cookie(client):
    make_run(make_course(slug="utc"), start=datetime(2031, 3, 1, 23, 30, tzinfo=UTC))
    html = page(client, "/courses/utc")
    assert "Mar 1, 2031, 11:30\u202fPM UTC" in html


def test_catalog_page_query_count_does_not_depend_on_page_size(
    client, app, count_queries, monkeypatch
):
    for n in range(12):
        course = make_course(
            f"Counted {n}", teaching_languages=("en", "ko"), subjects=("0613", "0411")
        )
        make_run(course)
        make_run(course, start=None)
    counts = []
    for size in (5, 50):
        monkeypatch.setitem(app.config, "MOOC_PAGE_SIZE", size)
        portal_cache(app).clear()  # the rendering's queries, not the cache's, are counted
        with count_queries() as counter:
            html = page(client, "/courses?q=counted&level=introductory")
        assert "12 courses found" in html
        counts.append(counter.count)
    assert counts[0] == counts[1]
    assert counts[0] <= 15


def test_course_page_query_count_does_not_depend_on_runs(client, count_queries):
    few = make_course(slug="few", runs=1)
    many = make_course(slug="many", runs=8, subjects=("0613", "0411", "0311"))
    counts = []
    for url in [f"/courses/{few.slug}", f"/courses/{many.slug}"]:
        with count_queries() as counter:
            page(client, url)
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_home_page_shows_figures_open_courses_and_search(client, count_queries):
    now = utcnow()
    open_course = make_course("Open Now", institution=make_institution(country="FR"))
    make_run(
        open_course, start=now + timedelta(days=10), enrollment_start_at=now - timedelta(days=1)
    )
    closed = make_course("Not Open")
    make_run(closed, start=now - timedelta(days=100), weeks=2)
    make_course("Draft Course", status="draft")

    with count_queries() as counter:
        html = page(client, "/")
    flat = " ".join(html.split())
    assert "Open Now" in html and "Not Open" not in html
    assert 'name="q"' in html
    assert '<strong>3</strong> <a href="/institutions">partner institutions</a>' in flat
    # What each figure counts is said: the countries partners come from, not ASEM's.
    assert "<strong>2</strong> countries with partner institutions" in flat
    assert "<strong>2</strong> public courses" in flat
    assert "(ASEM: 51 partner countries)" in flat
    assert counter.count <= 12


def test_home_page_figures_count_from_the_data_in_the_singular_too(client):
    make_course("Only One", institution=make_institution(country="FI"))
    flat = " ".join(page(client, "/").split())
    assert '<strong>1</strong> <a href="/institutions">partner institution</a>' in flat
    assert "<strong>1</strong> country with partner institutions" in flat
    assert "<strong>1</strong> public course<" in flat


def test_institution_filter_in_the_url_is_kept_checked(client):
    make_course("Kept", institution=make_institution("KAIST", slug="kaist"))
    make_course("Dropped")
    html = page(client, "/courses?institution=kaist")
    assert "1 course found" in html and "Kept" in html and "Dropped" not in html
    assert 'name="institution" value="kaist" checked' in html
    assert "notice" not in html


def _selected_sort(html: str) -> str:
    select = html.split('<select id="catalog-sort" name="sort">', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([a-z]+)" selected>', select)[0]


def test_searching_from_the_browse_page_sorts_by_relevance(client):
    # Browsing lists the newest first, but the form must not carry "newest" into a search.
    old = make_course(
        "Data in Old Times", slug="old-data", summary="Data, data and more data about data."
    )
    old.created_at = datetime(2020, 1, 1, tzinfo=UTC)
    make_course("Cooking Data", slug="cooking", summary="Recipes for the kitchen.")
    browse = page(client, "/courses")
    assert browse.index("Cooking Data") < browse.index("Data in Old Times")  # newest first
    search = page(client, "/courses?q=data&sort=" + _selected_sort(browse))
    assert search.index("Data in Old Times") < search.index("Cooking Data")  # best match first
    chosen = page(client, "/courses?sort=newest")
    assert _selected_sort(chosen) == "newest"  # a visitor's own choice is kept
