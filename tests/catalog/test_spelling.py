"""A search that forgives: misspelt words get a "Did you mean ...?" made of the catalog's words
(issue 12), on SQLite (a trigram table) and PostgreSQL (pg_trgm) alike."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mooc_portal.catalog.models import SearchWord
from mooc_portal.catalog.search import CatalogFilters, search_courses
from mooc_portal.catalog.spelling import edit_distance
from mooc_portal.db import session
from tests.factories import index, make_course, make_institution


def search(**filters):
    return search_courses(CatalogFilters(**filters), language="en")


@pytest.fixture
def catalog(app):
    make_course(slug="climate", title="Climate Change and Cities", summary="Adaptation.")
    make_course(slug="python", title="Python Programming", summary="Learn to code.")
    make_course(slug="photon", title="Photonics Lab", summary="Light and lasers.")
    make_course(
        slug="klima",
        titles={"de": "Klimawandel verstehen", "en": "Understanding Climate Policy"},
        original_language="de",
        summary="Politik und Gesellschaft.",
    )
    make_course(slug="economie", titles={"fr": "Économie solidaire"}, original_language="fr")
    make_course(slug="hidden", title="Astrophysics Secrets", status="draft")


@pytest.mark.parametrize(
    ("query", "suggestion", "found"),
    [
        ("climte", "climate", ["climate", "klima"]),
        ("phyton", "python", ["python"]),  # letters swapped: not "photon"
        ("pyhton", "python", ["python"]),
        ("Phyton programing", "python programming", ["python"]),
        ("klimawandl", "klimawandel", ["klima"]),  # a German title
        ("climte policy", "climate policy", ["klima"]),
        ("solidiare", "solidaire", ["economie"]),  # a French title
    ],
)
def test_a_misspelt_search_suggests_the_catalog_words(catalog, query, suggestion, found):
    result = search(query=query)
    assert result.total == 0
    assert result.suggestion == suggestion
    assert sorted(c.slug for c in search(query=result.suggestion).courses) == found


def test_no_suggestion_when_the_search_finds_courses_or_nothing_is_near(catalog):
    assert search(query="climate").suggestion is None
    assert search(query="clim").suggestion is None  # the start of a word is a match
    assert search(query="zzyzx").suggestion is None
    # Only in a draft: the word is the catalog's, but nothing public would be found.
    assert search(query="astrophysiks").suggestion is None


def test_the_suggestion_keeps_the_filters_and_must_find_courses_with_them(catalog):
    hanoi = make_institution(country="VN")
    make_course(slug="marine", title="Marine Biology", institution=hanoi)
    assert search(query="marine biolgy", country=("VN",)).suggestion == "marine biology"
    # The corrected words find a course, but not in this country: no suggestion.
    assert search(query="climte", country=("VN",)).suggestion is None


def test_words_follow_the_documents_as_courses_change(app):
    course = make_course(slug="geo", title="Geology Basics")
    assert search(query="geolgy").suggestion == "geology"
    translation = course.translations[0]
    translation.title = "Volcanology Basics"
    index(course)
    assert search(query="volcanolgy").suggestion == "volcanology"
    words = set(session.scalars(select(SearchWord.word)))
    assert {"geology", "volcanology", "basics"} <= words


def test_edit_distance_counts_a_swap_as_half_an_edit():
    assert edit_distance("pyhton", "python") == 0.5
    assert edit_distance("phyton", "python") == 2  # "h" moved: not two neighbours swapped
    assert edit_distance("phyton", "photon") == 1
    assert edit_distance("climte", "climate") == 1
    assert edit_distance("", "abc") == 3


def test_catalog_page_offers_did_you_mean_with_the_same_filters(client, catalog):
    response = client.get("/courses?q=climte&level=introductory")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No course matches your search" in html
    link = re.search(
        r'<p class="did-you-mean">Did you mean <a href="([^"]+)"[^>]*>climate</a>\?', html
    )
    assert link, html
    href = link.group(1).replace("&amp;", "&")
    assert "q=climate" in href and "level=introductory" in href
    html = client.get(href).get_data(as_text=True)
    assert "Climate Change and Cities" in html and "did-you-mean" not in html


def test_catalog_page_offers_nothing_for_a_search_that_finds(client, catalog):
    html = client.get("/courses?q=python").get_data(as_text=True)
    assert "Python Programming" in html and "did-you-mean" not in html


def test_the_api_says_did_you_mean_when_a_search_finds_nothing(client, catalog):
    body = client.get("/api/v1/courses?q=phyton").get_json()
    assert body["items"] == [] and body["suggestion"] == "python"
    body = client.get("/api/v1/courses?q=zzyzx").get_json()
    assert body["items"] == [] and body["suggestion"] is None
    body = client.get("/api/v1/courses?q=python").get_json()
    assert len(body["items"]) == 1 and "suggestion" not in body
