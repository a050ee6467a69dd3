from __future__ import annotations

from datetime import timedelta

import pytest

from mooc_portal.catalog.search import CatalogFilters, search_courses
from mooc_portal.db import utcnow
from tests.factories import make_course, make_institution, make_run


def slugs(result) -> list[str]:
    return [c.slug for c in result.courses]


def search(lang: str = "en", page: int = 1, page_size: int = 20, **filters):
    return search_courses(CatalogFilters(**filters), language=lang, page=page, page_size=page_size)


def test_finds_a_korean_title_by_a_korean_word(app):
    make_course(slug="ko-data", titles={"en": "Data Science Basics", "ko": "데이터 과학 입문"})
    make_course(slug="other", title="Marine Biology")

    assert slugs(search(query="데이터")) == ["ko-data"]
    assert slugs(search(query="과학")) == ["ko-data"]


def test_english_query_matches_prefixes_and_every_word(app):
    make_course(slug="climate", title="Climate Change and Cities")
    make_course(slug="cities", title="Smart Cities")
    make_course(slug="ocean", title="Ocean Science")

    assert slugs(search(query="clim")) == ["climate"]
    assert sorted(slugs(search(query="cities"))) == ["cities", "climate"]
    assert slugs(search(query="Climate CITIES")) == ["climate"]


def test_institution_name_in_any_language_is_searched(app):
    seoul = make_institution(names={"en": "Seoul National University", "ko": "서울대학교"})
    make_course(slug="snu", institution=seoul)
    make_course(slug="other")

    assert slugs(search(query="서울대학교")) == ["snu"]
    assert slugs(search(query="seoul")) == ["snu"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        # Only punctuation: no word to look for, so every course (as with no query).
        ('"', ["c"]),
        ("^*", ["c"]),
        # Operators are plain words, and every word must match: "A course" has none of these.
        ("AND (", []),
        ("NOT", []),
        ("a OR b*", []),
        ("title:x", []),
        ("'; DROP", []),
        ("NEAR(", []),
    ],
)
def test_fts_syntax_in_the_query_is_harmless(app, query, found):
    make_course(slug="c", title="A course")
    result = search(query=query)
    assert slugs(result) == found
    assert result.total == len(found)
    assert slugs(search(query="course")) == ["c"]  # nothing was dropped


def test_only_public_courses_are_found(app):
    make_course(slug="draft", title="Hidden draft", status="draft")
    make_course(
        slug="inactive", title="Hidden inactive", institution=make_institution(active=False)
    )
    make_course(slug="shown", title="Hidden? No, shown")

    assert slugs(search(query="hidden")) == ["shown"]


def facet(result, name: str) -> dict[str, int]:
    return {option.value: option.count for option in result.facets[name]}


@pytest.fixture
def catalog(app):
    """Five public courses spread over the facet dimensions."""
    now = utcnow()
    kaist = make_institution("KAIST", country="KR", slug="kaist")
    nus = make_institution("NUS", country="SG", slug="nus")
    tum = make_institution("TUM", country="DE", slug="tum")
    courses = {
        "ai": make_course(
            "Artificial Intelligence",
            institution=kaist,
            slug="ai",
            level="advanced",
            pace="self_paced",
            teaching_languages=("en", "ko"),
            subjects=("0613",),
        ),
        "finance": make_course(
            "Green Finance",
            institution=nus,
            slug="finance",
            level="intermediate",
            teaching_languages=("en",),
            subjects=("0412",),
        ),
        "robots": make_course(
            "Robots in Factories",
            institution=tum,
            slug="robots",
            level="advanced",
            teaching_languages=("de",),
            subjects=("0714", "0613"),
        ),
        "history": make_course(
            "Korean History",
            institution=kaist,
            slug="history",
            level="introductory",
            teaching_languages=("ko",),
            subjects=("0222",),
        ),
        "law": make_course(
            "European Law",
            institution=tum,
            slug="law",
            level="introductory",
            pace="self_paced",
            teaching_languages=("en", "de"),
            subjects=("0421",),
        ),
    }
    make_run(courses["ai"], start=now + timedelta(days=20))  # open (no window: always open)
    make_run(
        courses["finance"],
        start=now + timedelta(days=20),
        enrollment_start_at=now + timedelta(days=5),
    )  # upcoming
    make_run(courses["robots"], start=now - timedelta(days=7), enrollment_end_at=now)  # running
    make_run(courses["history"], start=now - timedelta(days=300), weeks=4)  # archived
    make_run(courses["law"], cancelled=True)  # only cancelled: to be scheduled
    return courses


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"institution": ("kaist",)}, {"ai", "history"}),
        ({"country": ("DE",)}, {"robots", "law"}),
        ({"region": ("europe",)}, {"robots", "law"}),
        ({"language": ("ko",)}, {"ai", "history"}),
        ({"language": ("ko", "de")}, {"ai", "history", "robots", "law"}),
        ({"subject": ("06",)}, {"ai", "robots"}),
        ({"subject": ("0412",)}, {"finance"}),
        ({"level": ("advanced",)}, {"ai", "robots"}),
        ({"pace": ("self_paced",)}, {"ai", "law"}),
        ({"availability": ("open",)}, {"ai"}),
        ({"availability": ("upcoming",)}, {"finance"}),
        ({"availability": ("in-progress",)}, {"robots"}),
        ({"availability": ("archived",)}, {"history"}),
        ({"availability": ("to-be-scheduled",)}, {"law"}),
        ({"availability": ("open", "archived")}, {"ai", "history"}),
        ({"level": ("advanced",), "region": ("asia",)}, {"ai"}),
        ({"level": ("advanced",), "language": ("de", "en")}, {"ai", "robots"}),
        ({"query": "law", "country": ("DE",)}, {"law"}),
        ({"query": "law", "country": ("KR",)}, set()),
    ],
)
def test_each_facet_filters(catalog, filters, expected):
    result = search(**filters)
    assert set(slugs(result)) == expected
    assert result.total == len(expected)


def test_facet_counts_apply_the_other_facets_but_not_their_own(catalog):
    result = search(level=("advanced",), region=("asia",))

    # The level facet counts Asian courses of every level; region counts advanced courses.
    assert facet(result, "level") == {"advanced": 1, "intermediate": 1, "introductory": 1}
    assert facet(result, "region") == {"asia": 1, "europe": 1}
    # Other facets count what both filters leave.
    assert facet(result, "institution") == {"kaist": 1}
    assert facet(result, "language") == {"en": 1, "ko": 1}
    assert facet(result, "subject") == {"06": 1}
    assert facet(result, "availability") == {"open": 1}
    selected = [o.value for o in result.facets["level"] if o.selected]
    assert selected == ["advanced"]


def test_facet_counts_without_filters(catalog):
    result = search()
    assert facet(result, "country") == {"KR": 2, "SG": 1, "DE": 2}
    assert facet(result, "language") == {"en": 3, "ko": 2, "de": 2}
    assert facet(result, "subject") == {"06": 2, "04": 2, "07": 1, "02": 1}
    assert facet(result, "pace") == {"self_paced": 2, "instructor_led": 3}
    assert facet(result, "availability") == {
        "open": 1,
        "upcoming": 1,
        "in-progress": 1,
        "archived": 1,
        "to-be-scheduled": 1,
    }


def test_facet_labels_are_in_the_visitor_language(app, catalog):
    with app.test_request_context(headers={"Accept-Language": "ko"}):
        result = search(lang="ko")
        labels = {o.value: str(o.label) for o in result.facets["country"]}
        languages = {o.value: str(o.label) for o in result.facets["language"]}
    assert labels["KR"] == "대한민국"
    assert languages["ko"] == "한국어"
    english = {o.value: str(o.label) for o in search().facets["subject"]}
    assert english["06"] == "Information and Communication Technologies (ICTs)"


def test_sorting_by_title_start_and_newest(catalog):
    assert slugs(search(sort="title")) == ["ai", "law", "finance", "history", "robots"]
    # Next run start: only future starts count; courses without one come last.
    # Same start: ties go by id. No future run: last, by id too.
    assert slugs(search(sort="start")) == ["ai", "finance", "robots", "history", "law"]
    catalog["law"].published_at = utcnow() + timedelta(minutes=5)
    catalog["ai"].published_at = utcnow() - timedelta(days=30)
    newest = slugs(search(sort="newest"))
    assert newest[0] == "law" and newest[-1] == "ai"


def test_start_sort_orders_by_next_run(app):
    now = utcnow()
    later = make_course(slug="later")
    make_run(later, start=now + timedelta(days=40))
    sooner = make_course(slug="sooner")
    make_run(sooner, start=now + timedelta(days=4))
    make_run(sooner, start=now - timedelta(days=100))
    make_course(slug="unscheduled")
    assert slugs(search(sort="start")) == ["sooner", "later", "unscheduled"]


def test_title_sort_uses_the_visitor_language_then_the_original(app):
    make_course(slug="b", titles={"en": "Banana", "ko": "가"})
    make_course(slug="a", titles={"en": "Apple", "ko": "나"})
    make_course(slug="c", titles={"en": "Cherry"})
    assert slugs(search(sort="title")) == ["a", "b", "c"]
    assert slugs(search(lang="ko", sort="title")) == ["c", "b", "a"]


def test_relevance_ranks_title_matches_first_and_is_the_default_with_a_query(app):
    make_course(slug="mention", title="Ocean Studies", summary="A word on robotics.")
    make_course(slug="title", title="Robotics Robotics Robotics", summary="Robotics for all.")
    result = search(query="robotics")
    assert result.sort == "relevance"
    assert slugs(result) == ["title", "mention"]
    assert search().sort == "newest"


def test_pagination_with_total(app):
    for n in range(7):
        make_course(slug=f"p{n}", title=f"Paged {n}")
    first = search(sort="title", page=1, page_size=3)
    third = search(sort="title", page=3, page_size=3)
    assert first.total == 7 and first.pages == 3
    assert slugs(first) == ["p0", "p1", "p2"]
    assert slugs(third) == ["p6"]
    beyond = search(sort="title", page=9, page_size=3)
    assert beyond.page_out_of_range and beyond.page == 1 and slugs(beyond) == slugs(first)


def test_search_returns_each_course_availability(catalog):
    result = search()
    states = {c.slug: result.availability[c.id].slug for c in result.courses}
    assert states == {
        "ai": "open",
        "finance": "upcoming",
        "robots": "in-progress",
        "history": "archived",
        "law": "to-be-scheduled",
    }


def test_query_count_is_the_same_for_page_sizes_5_and_50(app, count_queries):
    for n in range(60):
        course = make_course(title=f"Counted {n}", teaching_languages=("en", "ko"))
        make_run(course)
    counts = []
    for size in (5, 50):
        with count_queries() as counter:
            result = search(query="counted", page_size=size)
        assert len(result.courses) == size
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_facet_counts_with_both_multi_valued_facets_filtered(catalog):
    result = search(language=("ko",), subject=("06",))
    assert slugs(result) == ["ai"]
    assert facet(result, "language") == {"en": 1, "ko": 1, "de": 1}  # courses in subject 06
    assert facet(result, "subject") == {"06": 1, "02": 1}  # courses taught in Korean
    assert facet(result, "country") == {"KR": 1}


@pytest.mark.parametrize("query", ["data", "data science", "sci", "d", "science data 2"])
def test_sqlite_ranks_in_memory_with_fts5s_own_bm25(app, backend, query):
    """SQLite: a text of plain words is ranked from the index's instances in memory; its
    scores are FTS5's ``bm25`` to the last digit, for every match (so the order is the one
    the SQL search gave)."""
    if backend != "sqlite":
        pytest.skip("FTS5 is SQLite's")
    import numpy as np
    from sqlalchemy import text

    from mooc_portal.catalog import search as catalog_search
    from mooc_portal.db import session

    words = ["data", "science", "database", "climate", "design", "2", "datum", "scientific"]
    for n in range(30):
        text_ = " ".join(words[(n * k + k) % len(words)] for k in range(1 + n % 9))
        make_course(f"Course {n} {text_}", summary=f"{text_} " * (n % 4))
    tokens = catalog_search.query_tokens(query)
    shape = catalog_search._text_shape(tokens, "sqlite")
    row = session.execute(
        catalog_search._matches_statement("sqlite", shape),
        {"columns_since": -1, **catalog_search._text_params(tokens)},
    ).one()
    columns = catalog_search.column_store().current(session.connection(), row.versions, row.pending)
    matches = catalog_search._text_matches(columns, row, tokens)
    expected = dict(
        session.execute(
            text(
                "SELECT rowid, bm25(mooc_course_fts) FROM mooc_course_fts"
                " WHERE mooc_course_fts MATCH :match"
            ),
            {"match": catalog_search.fts5_match(tokens)},
        ).all()
    )
    assert matches.ids.tolist() == sorted(expected)
    assert expected  # every query finds some courses
    rows, public = columns.locate(matches.ids)
    scores = catalog_search._bm25(matches, np.flatnonzero(public), columns.doc_tokens[rows])
    assert scores.tolist() == [expected[i] for i in matches.ids[public].tolist()]
