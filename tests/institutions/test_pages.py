import re

from mooc_portal.catalog.models import CourseStatus
from mooc_portal.institutions.models import InstitutionTranslation
from tests.factories import make_course, make_institution


def _text(response):
    return response.get_data(as_text=True)


def _tiles(page):
    """The partners of the grid, as the text of each tile (tags removed), in order."""
    grid = page.split('<ul class="partner-grid">', 1)[1].split("</ul>", 1)[0]
    return [
        " ".join(re.sub(r"<[^>]+>", " ", tile).split())
        for tile in grid.split('<li class="partner-tile">')[1:]
    ]


def _names(page):
    grid = page.split('<ul class="partner-grid">', 1)[1].split("</ul>", 1)[0]
    return [re.sub(r"<[^>]+>", "", h2).strip() for h2 in re.findall(r"<h2>(.*?)</h2>", grid)]


def test_partners_are_a_grid_by_name_with_their_country(client, db_session):
    make_institution("Seoul Digital University", country="KR", slug="sdu")
    make_institution("Kyoto Open University", country="JP", slug="kou")
    make_institution("Université de Lyon Numérique", country="FR", slug="uln")
    page = _text(client.get("/institutions"))

    assert _names(page) == [
        "Kyoto Open University",
        "Seoul Digital University",
        "Université de Lyon Numérique",
    ]
    tiles = _tiles(page)
    assert "Japan" in tiles[0] and "South Korea" in tiles[1] and "France" in tiles[2]
    assert "3 partner institutions" in page
    assert "1\N{EN DASH}3 of 3" in page


def test_country_names_follow_the_visitor_language(client, db_session):
    make_institution("Seoul Digital University", country="KR", slug="sdu")
    make_institution("Wien Online", country="AT", slug="wien")
    page = _text(client.get("/institutions", headers={"Accept-Language": "ko"}))
    tiles = _tiles(page)
    assert "대한민국" in tiles[0] and "오스트리아" in tiles[1]
    # The country menu: names in Korean under their region, only countries with partners.
    menu = page.split('<select id="partner-country" name="country">', 1)[1].split("</select>")[0]
    assert '<optgroup label="아시아">' in menu and '<optgroup label="유럽">' in menu
    assert '<option value="KR" >대한민국</option>' in menu
    assert '<option value="AT" >오스트리아</option>' in menu
    assert 'value="JP"' not in menu


def test_names_are_shown_and_sorted_in_the_visitor_language_then_english(client, db_session):
    make_institution(
        slug="seoul",
        country="KR",
        names={"en": "Seoul Digital University", "ko": "서울디지털대학교"},
        original_language="ko",
    )
    make_institution(
        slug="busan", country="KR", names={"en": "Busan Open University"}, original_language="en"
    )
    make_institution(
        slug="kyoto", country="JP", names={"ja": "京都オープン大学"}, original_language="ja"
    )
    page = _text(client.get("/institutions", headers={"Accept-Language": "ko"}))
    # Each name as the visitor reads it, and sorted by it: Korean, else English (Busan), else
    # the original language (Kyoto, marked as Japanese).
    assert _names(page) == ["Busan Open University", "京都オープン大学", "서울디지털대학교"]
    assert '<span lang="ja">京都オープン大学</span>' in page
    assert '<span lang="en">Busan Open University</span>' in page


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


def test_a_logo_beside_its_name_is_decorative_and_no_logo_shows_initials(client, db_session):
    make_institution("Logo University", slug="logo-u", logo="/static/logos/lu.png")
    make_institution("Plain Institute of Design", slug="plain-u")
    short = make_institution("Korea Advanced Institute", slug="kaist")
    short.translations[0].short_name = "KAIST"
    db_session.flush()
    page = _text(client.get("/institutions"))
    assert page.count('class="partner-logo"') == 1
    assert 'src="/static/logos/lu.png" alt=""' in page
    initials = re.findall(r'<span class="partner-initials" aria-hidden="true">(.*?)</span>', page)
    assert initials == ["KAIST", "PI"]


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


def test_search_finds_a_partner_by_any_of_its_names_ignoring_case_and_accents(client, db_session):
    make_institution(
        slug="seoul",
        country="KR",
        names={"en": "Seoul Digital University", "ko": "서울디지털대학교"},
        original_language="ko",
    )
    lyon = make_institution("Université de Lyon Numérique", country="FR", slug="uln")
    lyon.translations[0].short_name = "UdLN"
    db_session.flush()
    make_institution("Kyoto Open University", country="JP", slug="kou")

    assert _names(_text(client.get("/institutions?q=universite+lyon"))) == [
        "Université de Lyon Numérique"
    ]
    assert _names(_text(client.get("/institutions?q=udln"))) == ["Université de Lyon Numérique"]
    assert _names(_text(client.get("/institutions?q=디지털"))) == ["Seoul Digital University"]
    page = _text(client.get("/institutions?q=%20%20open%20"))
    assert _names(page) == ["Kyoto Open University"]
    assert 'name="q" value="open"' in page
    assert "1 partner institution" in page

    page = _text(client.get("/institutions?q=kyoto&region=europe"))
    assert "No partner institution matches these filters." in page
    assert 'href="/institutions">Show all partners</a>' in page


def test_sort_by_number_of_public_courses_then_name(client, db_session):
    busy = make_institution("Zeta University", country="DE", slug="zeta")
    for _ in range(3):
        make_course(institution=busy)
    make_course(institution=busy, status=CourseStatus.DRAFT)
    some = make_institution("Beta University", country="KR", slug="beta")
    make_course(institution=some)
    make_institution("Alpha University", country="JP", slug="alpha")
    make_institution("Gamma University", country="JP", slug="gamma")

    page = _text(client.get("/institutions?sort=courses"))
    assert _names(page) == [
        "Zeta University",
        "Beta University",
        "Alpha University",
        "Gamma University",
    ]
    assert '<option value="courses" selected>' in page
    assert _names(_text(client.get("/institutions")))[0] == "Alpha University"


def test_pages_of_24_keep_the_filters_in_their_links(client, db_session):
    for n in range(30):
        make_institution(f"Europa University {n:02d}", country="DE", slug=f"eu-{n:02d}")
    make_institution("Asia University", country="KR", slug="asia-u")

    page = _text(client.get("/institutions?region=europe&sort=name"))
    assert len(_names(page)) == 24 and _names(page)[0] == "Europa University 00"
    assert "30 partner institutions" in page and "1\N{EN DASH}24 of 30" in page
    assert 'href="/institutions?region=europe&amp;sort=name&amp;page=2" rel="next"' in page

    page = _text(client.get("/institutions?region=europe&sort=name&page=2"))
    assert _names(page) == [f"Europa University {n}" for n in range(24, 30)]
    assert "25\N{EN DASH}30 of 30" in page and "Asia University" not in page


def test_bad_values_give_a_notice_and_the_whole_list(client, db_session):
    make_institution("Seoul Digital University", country="KR", slug="sdu")
    make_institution("Wien Online", country="AT", slug="wien")

    response = client.get("/institutions?sort=popularity&page=x&size=0")
    page = _text(response)
    assert response.status_code == 200
    assert "The order was not recognised; partners are shown by name." in page
    assert "The page number &#34;x&#34; is not valid; showing the first page." in page
    assert "The page size &#34;0&#34; is not valid; showing 24 per page." in page
    assert _names(page) == ["Seoul Digital University", "Wien Online"]

    page = _text(client.get("/institutions?page=9"))
    assert "There is no page 9; showing the last page, 1." in page
    assert len(_names(page)) == 2

    page = _text(client.get("/institutions?q=" + "x" * 300))
    assert "Only the first 100 characters of the search were used." in page
    assert 'value="' + "x" * 100 + '"' in page

    for odd in ("region=%FF%FE", "country=%C3%A9", "q=%F0%9F%8E%93", "page=99999999999999999999"):
        assert client.get(f"/institutions?{odd}").status_code == 200
    # A NUL character is refused site-wide, with the error page, never a 500.
    assert client.get("/institutions?q=%00").status_code == 400


def test_the_list_is_cached_per_query_string(client, db_session, app):
    from mooc_portal.caching import portal_cache

    make_institution("Seoul Digital University", country="KR", slug="sdu")
    make_institution("Wien Online", country="AT", slug="wien")
    portal_cache(app).clear()
    assert _names(_text(client.get("/institutions?region=asia"))) == ["Seoul Digital University"]
    assert _names(_text(client.get("/institutions?region=europe"))) == ["Wien Online"]
    assert _names(_text(client.get("/institutions?region=asia"))) == ["Seoul Digital University"]


def test_list_issues_a_fixed_number_of_queries(client, db_session, count_queries):
    def queries_for(url):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    institution = make_institution(country="KR")
    make_course(institution=institution)
    few = queries_for("/institutions")
    for n, country in enumerate(["JP", "FR", "DE", "TH", "VN", "CN", "IT", "ES"] * 4):
        more = make_institution(country=country, original_language="en")
        more.translations.append(InstitutionTranslation(language="ko", name=f"대학 {n}"))
        make_course(institution=more)
        make_course(institution=more)
    db_session.flush()
    assert queries_for("/institutions") == few
    assert queries_for("/institutions?page=2&sort=courses") == few
    assert queries_for("/institutions?q=university&region=europe") == few


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
