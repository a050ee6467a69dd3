"""Reference labels in the visitor's language: ISCED-F subject areas and time zones."""

from __future__ import annotations

import html
import json
import re

import pytest

from mooc_portal.db import session
from mooc_portal.reference import ISCED_F
from tests.factories import make_account, make_course, make_institution
from tests.page_reading import checkbox_labels

KOREAN = {"Accept-Language": "ko-KR,ko;q=0.9"}
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def course(db_session):
    institution = make_institution("Seoul Digital University", country="KR")
    return make_course("Apps", institution=institution, subjects=("0613",), runs=1, slug="apps")


def text(client, url: str, headers: dict[str, str]) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def test_course_page_names_its_subject_in_korean(client, course):
    page = text(client, "/courses/apps", KOREAN)
    assert "소프트웨어 및 애플리케이션 개발·분석" in page
    assert "Software and applications development and analysis</a>" not in page
    english = text(client, "/courses/apps", ENGLISH)
    assert "Software and applications development and analysis</a>" in english


def test_catalog_subject_facet_is_in_korean(client, course):
    page = text(client, "/courses", KOREAN)
    facet = re.search(r'<label for="f-subject-1">([^<]*)<', page)
    assert facet and facet.group(1).strip() == "정보통신기술(ICT)"
    assert "Information and Communication Technologies (ICTs)" not in page


def test_machine_readable_outputs_keep_the_english_labels_and_codes(client, course):
    page = client.get("/courses/apps", headers=KOREAN).get_data(as_text=True)
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert ld and json.loads(ld.group(1))["about"] == [ISCED_F["0613"]]
    api = client.get(f"/api/v1/courses/{course.uuid}", headers=KOREAN).get_json()
    assert api["subjects"] == ["0613"]
    ooapi = client.get(f"/ooapi/v5/courses/{course.uuid}", headers=KOREAN).get_json()
    assert ooapi["fieldsOfStudy"] == "0613"


def test_partner_course_form_lists_subjects_in_korean(client, auth, db_session):
    institution = make_institution("Seoul Digital University", country="KR")
    make_account("staff@example.org", memberships={institution: "manager"})
    session.commit()
    auth.login("staff@example.org")
    # The subject picker is a list of checkboxes (issue 12), each labelled in the visitor's
    # language.
    page = text(client, f"/partner/{institution.slug}/courses/new", KOREAN)
    assert checkbox_labels(page, "subjects")["0613"] == "0613 소프트웨어 및 애플리케이션 개발·분석"
    english = text(client, f"/partner/{institution.slug}/courses/new", ENGLISH)
    assert checkbox_labels(english, "subjects")["0613"].startswith(
        "0613 Software and applications development"
    )


def test_every_subject_label_has_a_korean_translation(app):
    with app.test_request_context(headers=KOREAN):
        from mooc_portal.reference import subject_label

        untranslated = [code for code, label in ISCED_F.items() if subject_label(code) == label]
        assert untranslated == []
        assert subject_label("9999") == "9999"


def time_zone_options(page: str) -> dict[str, str]:
    select = re.search(r'<select[^>]*name="timezone".*?</select>', page, re.S)
    assert select, "no time-zone select on the page"
    return dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0)))


def test_profile_time_zones_have_localized_labels_and_iana_values(client, auth, db_session):
    make_account("ana@example.org")
    session.commit()
    auth.login("ana@example.org")
    korean = time_zone_options(text(client, "/account/", KOREAN))
    assert korean["Asia/Seoul"] == "서울 (대한민국)"
    assert korean["Europe/Berlin"] == "베를린 (독일)"
    english = time_zone_options(text(client, "/account/", ENGLISH))
    assert english["Asia/Seoul"] == "Seoul (South Korea)"
    assert english["Africa/Abidjan"] == "Abidjan (Côte d\u2019Ivoire)"
    # Sorted by label after the "as reported by my browser" choice; every label distinct.
    labels = [label for value, label in english.items() if value]
    assert labels == sorted(labels, key=str.casefold)
    assert len(set(labels)) == len(labels)
    assert english["Asia/Chongqing"] == "Shanghai (China) \u2013 Asia/Chongqing"
