import re

from mooc_portal.catalog.models import CourseStatus
from mooc_portal.institutions.models import InstitutionTranslation
from tests.factories import make_course, make_institution


def _text(response):
    return response.get_data(as_text=True)


def _section(page, element_id):
    """The HTML of the <section> labelled by the heading with ``element_id``."""
    start = page.index(f'aria-labelledby="{element_id}"')
    end = page.find('<section class="partner-region"', start + 1)
    return page[start : end if end != -1 else len(page)]


def test_partners_are_grouped_by_region_and_country(client, db_session):
    make_institution("Seoul Digital University", country="KR", slug="sdu")
    make_institution("Kyoto Open University", country="JP", slug="kou")
    make_institution("Université de Lyon Numérique", country="FR", slug="uln")
    page = _text(client.get("/institutions"))

    asia = _section(page, "region-asia")
    europe = _section(page, "region-europe")
    assert page.index('id="region-asia"') < page.index('id="region-europe"')
    assert "Seoul Digital University" in asia and "Kyoto Open University" in asia
    assert "Université de Lyon Numérique" in europe and "Seoul Digital University" not in europe
    assert '<h3 id="country-KR">South Korea</h3>' in asia
    assert '<h3 id="country-FR">France</h3>' in europe
    # countries by name: Japan before South Korea
    assert asia.index("country-JP") < asia.index("country-KR")
    assert "3 partner institutions" in page


def test_country_names_follow_the_visitor_language(client, db_session):
    make_institution("Seoul Digital University", country="KR", slug="sdu")
    page = _text(client.get("/institutions", headers={"Accept-Language": "ko"}))
    assert '<h3 id="country-KR">대한민국</h3>' in page


def test_each_partner_shows_its_public_course_count_short_name_and_link(client, db_session):
    institution = make_institution("Hanoi Institute of Technology", country="VN", slug="hit")
    institution.translations[0].short_name = "HIT"
    make_course(institution=institution)
    make_course(institution=institution)
    make_course(institution=institution, status=CourseStatus.DRAFT)
    make_course(institution=institution, status=CourseStatus.WITHDRAWN)
    make_institution("Empty College", country="VN", slug="empty")
    page = _text(client.get("/institutions"))
    assert 'href="/institutions/hit"' in page
    assert ">HIT</span>" in page
    assert "2 public courses" in page
    assert "0 public courses" in page


def test_a_name_in_another_language_is_marked_with_its_lang(client, db_session):
    make_institution(
        slug="snu", country="KR", names={"ko": "서울디지털대학교"}, original_language="ko"
    )
    page = _text(client.get("/institutions"))
    assert '<span lang="ko">서울디지털대학교</span>' in page


def test_a_name_in_the_page_language_has_no_lang(client, db_session):
    # One language per test: the test's app context (and Flask-Babel's cached locale) is
    # shared by every request of a test.
    make_institution(
        slug="snu", country="KR", names={"ko": "서울디지털대학교"}, original_language="ko"
    )
    page = _text(client.get("/institutions", headers={"Accept-Language": "ko"}))
    assert "<span>서울디지털대학교</span>" in page


def test_logo_is_shown_when_there_is_one(client, db_session):
    make_institution("Logo University", slug="logo-u", logo="/static/logos/lu.png")
    make_institution("Plain University", slug="plain-u")
    page = _text(client.get("/institutions"))
    assert page.count('class="partner-logo"') == 1
    assert 'src="/static/logos/lu.png"' in page


def test_inactive_institutions_are_hidden(client, db_session):
    make_institution("Closed University", slug="closed", active=False)
    make_institution("Open University", slug="open-u")
    page = _text(client.get("/institutions"))
    assert "Closed University" not in page
    assert "Open University" in page
    assert client.get("/institutions/closed").status_code == 404


def test_filter_by_region_and_country(client, db_session):
    make_institution("Seoul Digital University", country="KR", slug="sdu")
    make_institution("Kyoto Open University", country="JP", slug="kou")
    make_institution("Wien Online", country="AT", slug="wien")

    page = _text(client.get("/institutions?region=europe"))
    assert "Wien Online" in page and "Kyoto Open University" not in page
    assert 'option value="europe" selected' in page

    page = _text(client.get("/institutions?country=jp"))
    assert "Kyoto Open University" in page
    assert "Seoul Digital University" not in page and "Wien Online" not in page

    page = _text(client.get("/institutions?region=asia&country=KR"))
    assert "Seoul Digital University" in page and "Kyoto Open University" not in page
    assert "notice" not in re.sub(r"<select.*?</select>", "", page, flags=re.S).split("<main")[1]


def test_invalid_filters_are_ignored_with_a_notice(client, db_session):
    make_institution("Seoul Digital University", country="KR", slug="sdu")
    make_institution("Wien Online", country="AT", slug="wien")

    response = client.get("/institutions?region=antarctica&country=US")
    page = _text(response)
    assert response.status_code == 200
    assert "The region filter was not recognised" in page
    assert "The country filter was not recognised" in page
    assert "Seoul Digital University" in page and "Wien Online" in page

    page = _text(client.get("/institutions?region=europe&country=KR"))
    assert "The country filter is not in the chosen region" in page
    assert "Wien Online" in page and "Seoul Digital University" not in page


def test_a_filter_that_matches_nothing_says_so(client, db_session):
    make_institution("Seoul Digital University", country="KR", slug="sdu")
    page = _text(client.get("/institutions?country=FI"))
    assert "No partner institution matches these filters." in page


def test_list_issues_a_fixed_number_of_queries(client, db_session, count_queries):
    def queries_for_page():
        with count_queries() as counter:
            assert client.get("/institutions").status_code == 200
        return counter.count

    institution = make_institution(country="KR")
    make_course(institution=institution)
    few = queries_for_page()
    for n, country in enumerate(["JP", "FR", "DE", "TH", "VN", "CN", "IT", "ES"]):
        more = make_institution(country=country, original_language="en")
        more.translations.append(InstitutionTranslation(language="ko", name=f"대학 {n}"))
        make_course(institution=more)
        make_course(institution=more)
    db_session.flush()
    assert queries_for_page() == few


def test_profile_shows_details_and_public_courses_only(client, db_session):
    institution = make_institution(
        "National University of Ulaanbaatar",
        country="MN",
        slug="nuu",
        website="https://nuu.example.org",
        contact_email="mooc@nuu.example.org",
    )
    institution.translations[0].short_name = "NUU"
    institution.translations[0].description = "A public university in Mongolia."
    make_course("Steppe Ecology", institution=institution, runs=1)
    make_course("Secret Draft", institution=institution, status=CourseStatus.DRAFT)
    make_course("Under Review", institution=institution, status=CourseStatus.IN_REVIEW)
    make_course("Old News", institution=institution, status=CourseStatus.WITHDRAWN)

    response = client.get("/institutions/nuu")
    page = _text(response)
    assert response.status_code == 200
    assert "<h1>National University of Ulaanbaatar</h1>" in page
    assert "NUU" in page
    assert "Mongolia" in page and "Asia" in page
    assert 'href="https://nuu.example.org"' in page
    assert 'href="mailto:mooc@nuu.example.org"' in page
    assert "A public university in Mongolia." in page
    assert "Steppe Ecology" in page
    assert "Starting soon" in page or "Open for enrolment" in page
    for hidden in ("Secret Draft", "Under Review", "Old News"):
        assert hidden not in page


def test_profile_marks_text_in_another_language(client, db_session):
    make_institution(
        slug="kyoto", country="JP", names={"ja": "京都オープン大学"}, original_language="ja"
    )
    page = _text(client.get("/institutions/kyoto"))
    assert '<h1 lang="ja">京都オープン大学</h1>' in page


def test_unknown_slug_is_a_404_page(client, db_session):
    response = client.get("/institutions/no-such-place")
    assert response.status_code == 404
    assert "There is no partner institution at this address." in _text(response)


def test_profile_issues_a_fixed_number_of_queries(client, db_session, count_queries):
    institution = make_institution(slug="busy", country="TH")

    def queries_for_page():
        with count_queries() as counter:
            assert client.get("/institutions/busy").status_code == 200
        return counter.count

    make_course(institution=institution, runs=1)
    few = queries_for_page()
    for _ in range(6):
        make_course(institution=institution, runs=2, subjects=("0613", "0541"))
    assert queries_for_page() == few
