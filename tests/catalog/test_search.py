from __future__ import annotations

from datetime import timedelta

import pytest

from mooc_portal.catalog.search import CatalogFilters, search_courses
from mooc_portal.db import utcnow
from tests.factories import make_course, make_institution, make_run


def slugs(result) -> list[str]:
    return [c.slug for c in result.courses]


def search(language: str = "en", page: int = 1, page_size: int = 20, **filters):
    return search_courses(
        CatalogFilters(**filters), language=language, page=page, page_size=page_size
    )


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


@pytest.mark.parametrize("query", ['"', "AND (", "NOT", "a OR b*", "title:x", "'; DROP", "NEAR(", "^*"])
def test_fts_syntax_in_the_query_is_harmless(app, query):
    make_course(slug="c", title="A course")
    result = search(query=query)
    assert result.total >= 0


def test_only_public_courses_are_found(app):
    make_course(slug="draft", title="Hidden draft", status="draft")
    make_course(slug="inactive", title="Hidden inactive", institution=make_institution(active=False))
    make_course(slug="shown", title="Hidden? No, shown")

    assert slugs(search(query="hidden")) == ["shown"]
