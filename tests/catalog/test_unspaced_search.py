"""Words inside Korean compounds and unspaced Chinese, Japanese and Thai text are found."""

import pytest

from mooc_portal.catalog.search import CatalogFilters, search_courses
from tests.factories import make_course


def found(query: str) -> list[str]:
    result = search_courses(CatalogFilters(query=query), language="ko")
    return sorted(course.slug for course in result.courses)


@pytest.fixture
def catalog(app):
    make_course(
        slug="trade", titles={"en": "International Trade", "ko": "아시아와 유럽 간 국제무역"}
    )
    make_course(slug="quake", titles={"en": "Earthquakes", "ko": "지진공학과 재난 회복력"})
    make_course(slug="data-zh", titles={"en": "Data Science", "zh": "数据科学导论"})
    make_course(slug="algebra", titles={"en": "Linear Algebra", "ja": "線形代数入門"})
    make_course(slug="farming", titles={"en": "Farming", "th": "การเกษตรยั่งยืน"})


@pytest.mark.parametrize(
    ("query", "slugs"),
    [
        ("무역", ["trade"]),  # a word inside a compound
        ("국제무역", ["trade"]),  # the whole compound
        ("공학", ["quake"]),
        ("科学", ["data-zh"]),
        ("代数", ["algebra"]),
        ("เกษตร", ["farming"]),
        ("무역 지진", []),  # every word must match
        ("trade", ["trade"]),  # spaced scripts are unchanged
    ],
)
def test_a_part_of_an_unspaced_word_finds_the_course(catalog, query, slugs):
    assert found(query) == slugs


def test_reindex_rebuilds_documents_made_the_old_way(app, runner, db_session):
    from mooc_portal.catalog.models import CourseSearchDocument

    course = make_course(slug="trade", titles={"ko": "국제무역"}, original_language="ko")
    db_session.get(CourseSearchDocument, course.id).document = "국제무역"  # as before bigrams
    db_session.flush()
    assert found("무역") == []
    result = runner.invoke(args=["portal", "reindex"])
    assert result.exit_code == 0, result.output
    assert "1 courses indexed." in result.output
    assert found("무역") == ["trade"]


def test_reindex_rebuilds_the_catalog_entries_after_a_bulk_load(app, runner, db_session):
    from sqlalchemy import delete

    from mooc_portal.catalog.models import CatalogEntry, CatalogFacetCount

    make_course(slug="bulk", title="Bulk loaded course")
    # A bulk load writes rows without the ORM: no entry, no counts.
    db_session.execute(delete(CatalogFacetCount))
    db_session.execute(delete(CatalogEntry))
    assert found("bulk") == []
    result = runner.invoke(args=["portal", "reindex"])
    assert result.exit_code == 0, result.output
    assert "1 public courses in the catalog." in result.output
    assert found("bulk") == ["bulk"]
    browsed = search_courses(CatalogFilters(), language="en")
    assert [c.slug for c in browsed.courses] == ["bulk"]
    assert {o.value: o.count for o in browsed.facets["level"]} == {"introductory": 1}
