"""Administrators' lists: certificates with search, institutions with filters, and the one
pagination every admin and partner list shares (bounded size, a clear notice for a bad page)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from tests.factories import make_account, make_course, make_institution, make_run


@pytest.fixture
def admin(db_session):
    return make_account("admin@portal.example", is_admin=True)


def certify(course, learner):
    run = (
        course.runs[0]
        if course.runs
        else make_run(course, enrollment_start_at=utcnow() - timedelta(days=1))
    )
    enrollment = enrolment.enroll(run, learner, actor=learner)
    enrolment.complete(enrollment)
    return session.query(Certificate).filter_by(enrollment_id=enrollment.id).one()


def rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>.*?</tr>", body, flags=re.S)


def shown(first: int, last: int, total: int) -> str:
    """The pager's summary, "1-3 of 7" with an en dash."""
    return f"{first}\u2013{last} of {total}"


def test_certificate_list_searches_learner_course_and_code(client, auth, admin):
    ocean = make_course(credential="certificate", title="Ocean Science")
    forests = make_course(credential="certificate", title="Forest Ecology")
    minji = make_account("minji@example.org", display_name="Min-ji Park")
    lukas = make_account("lukas@example.de", display_name="Lukas Weber")
    first = certify(ocean, minji)
    certify(forests, lukas)
    auth.login(admin.email)

    everything = client.get("/admin/certificates").get_data(as_text=True)
    assert "2 certificates" in everything and len(rows(everything)) == 2

    by_name = client.get("/admin/certificates?q=min-JI").get_data(as_text=True)
    assert "1 certificate" in by_name and "Min-ji Park" in by_name and "Lukas" not in by_name
    by_email = client.get("/admin/certificates?q=EXAMPLE.DE").get_data(as_text=True)
    assert "Lukas Weber" in by_email and "Min-ji" not in by_email
    by_course = client.get("/admin/certificates?q=forest").get_data(as_text=True)
    assert "Forest Ecology" in by_course and "Ocean Science" not in by_course
    by_code = client.get(f"/admin/certificates?q={first.code[3:15]}").get_data(as_text=True)
    assert f"/certificates/{first.code}" in by_code and "Lukas" not in by_code
    by_id = client.get(f"/admin/certificates?q={first.uuid}").get_data(as_text=True)
    assert "Min-ji Park" in by_id and "Lukas" not in by_id
    # LIKE's wildcards are searched for as themselves.
    none = client.get("/admin/certificates?q=%25_").get_data(as_text=True)
    assert "0 certificates" in none and "No certificate matches the search." in none


def test_certificate_list_searches_the_institution_by_any_of_its_names(client, auth, admin):
    hankuk = make_institution(
        "Hankuk Open University",
        names={"ko": "한국열린대학교", "en": "Hankuk Open University"},
        original_language="ko",
    )
    wien = make_institution("Universität Wien", country="AT")
    certify(
        make_course(credential="certificate", title="Ocean", institution=hankuk),
        make_account("minji@example.org", display_name="Min-ji Park"),
    )
    certify(
        make_course(credential="certificate", title="Forest", institution=wien),
        make_account("lukas@example.de", display_name="Lukas Weber"),
    )
    auth.login(admin.email)
    for words in ("WIEN", "universität"):
        found = client.get(f"/admin/certificates?q={words}").get_data(as_text=True)
        assert "Lukas Weber" in found and "Min-ji" not in found, words
    for words in ("hankuk open", "한국열린"):  # its names in either language
        found = client.get(f"/admin/certificates?q={words}").get_data(as_text=True)
        assert "Min-ji Park" in found and "Lukas" not in found, words
    page = client.get("/admin/certificates").get_data(as_text=True)
    assert "course, institution, or certificate code" in page


def test_certificate_list_is_for_administrators_only(client, auth, db_session):
    learner = make_account("learner@example.org")
    auth.login(learner.email)
    assert client.get("/admin/certificates").status_code == 403


def test_certificate_list_pages_with_a_bounded_size(client, auth, admin, app, monkeypatch):
    course = make_course(credential="certificate", title="Ocean Science")
    for n in range(7):
        certify(course, make_account(f"l{n}@example.org", display_name=f"Learner {n:02d}"))
    auth.login(admin.email)

    first = client.get("/admin/certificates?size=3").get_data(as_text=True)
    assert len(rows(first)) == 3 and shown(1, 3, 7) in first
    assert 'aria-current="page"' in first and "size=3&amp;page=2" in first
    last = client.get("/admin/certificates?size=3&page=3").get_data(as_text=True)
    assert len(rows(last)) == 1 and shown(7, 7, 7) in last
    # The newest first: the first learner's certificate is on the last page.
    assert "Learner 00" in last and "Learner 00" not in first

    monkeypatch.setitem(app.config, "MOOC_LIST_PAGE_SIZE_MAX", 5)  # not left to later tests
    bounded = client.get("/admin/certificates?size=1000")
    assert bounded.status_code == 200
    text = bounded.get_data(as_text=True)
    assert len(rows(text)) == 5 and "At most 5 rows are shown per page." in text


@pytest.mark.parametrize(
    ("page", "notice"),
    [
        ("x", 'The page number "x" is not valid; showing the first page.'),
        ("0", 'The page number "0" is not valid; showing the first page.'),
        ("-2", 'The page number "-2" is not valid; showing the first page.'),
        ("99999999999999999999", "is not valid; showing the first page."),
        ("2147483647", "There is no page 2147483647; showing the last page, 1."),
    ],
)
def test_a_bad_page_number_is_a_notice_never_an_error(client, auth, admin, page, notice):
    auth.login(admin.email)
    for path in ("/admin/certificates", "/admin/institutions", "/admin/audit", "/admin/"):
        response = client.get(f"{path}?page={page}")
        assert response.status_code == 200, path
        assert notice.replace('"', "&#34;") in response.get_data(as_text=True), path


def test_a_bad_page_size_is_a_notice(client, auth, admin):
    auth.login(admin.email)
    response = client.get("/admin/institutions?size=many")
    assert response.status_code == 200
    assert "The page size &#34;many&#34; is not valid; showing 25 per page." in response.get_data(
        as_text=True
    )


def test_institutions_filter_by_region_and_country_in_the_address(client, auth, admin):
    make_institution("Seoul Open University", country="KR", slug="sou")
    make_institution("Hanoi Open University", country="VN", slug="hou")
    make_institution("Universität Wien", country="AT", slug="univie", active=False)
    auth.login(admin.email)

    europe = client.get("/admin/institutions?region=europe").get_data(as_text=True)
    assert "Universität Wien" in europe and "Seoul" not in europe and "Hanoi" not in europe
    assert '<option value="europe" selected>' in europe
    vietnam = client.get("/admin/institutions?country=vn").get_data(as_text=True)
    assert "Hanoi Open University" in vietnam and "Seoul" not in vietnam
    assert '<option value="VN" selected>' in vietnam and "Viet" in vietnam
    # A country outside the region: ignored, and the page says so.
    mixed = client.get("/admin/institutions?region=europe&country=KR").get_data(as_text=True)
    assert "The country filter is not in the chosen region and has been ignored." in mixed
    assert "Universität Wien" in mixed and "Seoul" not in mixed
    unknown = client.get("/admin/institutions?region=mars").get_data(as_text=True)
    assert "The region filter was not recognised and has been ignored." in unknown
    assert "Seoul Open University" in unknown and "Hanoi Open University" in unknown


def test_institution_pages_keep_the_filters(client, auth, admin):
    for n in range(5):
        make_institution(f"Korean University {n}", country="KR", slug=f"kr-{n}")
    make_institution("Hanoi Open University", country="VN", slug="hou")
    auth.login(admin.email)
    first = client.get("/admin/institutions?country=KR&size=2").get_data(as_text=True)
    assert "5 institutions" in first and "Hanoi" not in first
    assert "country=KR&amp;size=2&amp;page=3" in first
    last = client.get("/admin/institutions?country=KR&size=2&page=3").get_data(as_text=True)
    assert len(rows(last)) == 1 and "Korean University 4" in last


def test_review_queue_and_audit_log_page(client, auth, admin):
    institution = make_institution()
    for n in range(3):
        make_course(f"Waiting {n}", institution=institution, status="in_review")
    auth.login(admin.email)
    queue = client.get("/admin/?size=2").get_data(as_text=True)
    assert len(rows(queue)) == 2 and shown(1, 2, 3) in queue and 'rel="next"' in queue
    second = client.get("/admin/?size=2&page=2").get_data(as_text=True)
    assert len(rows(second)) == 1 and 'rel="prev"' in second


def test_partner_staff_and_jobs_lists_page(client, auth, admin):
    home = make_institution(slug="home-u")
    manager = make_account("a-manager@home.example", memberships={home: "manager"})
    for n in range(4):
        make_account(f"editor{n}@home.example", memberships={home: "editor"})
    auth.login(manager.email)
    first = client.get("/partner/home-u/staff?size=2").get_data(as_text=True)
    assert shown(1, 2, 5) in first and "a-manager@home.example" in first
    last = client.get("/partner/home-u/staff?size=2&page=3").get_data(as_text=True)
    assert len(rows(last)) == 1 and "editor3@home.example" in last
    bad = client.get("/partner/home-u/staff?page=%C2%B2")
    assert bad.status_code == 200 and "is not valid; showing the first page." in bad.get_data(
        as_text=True
    )
    auth.logout()
    auth.login(admin.email)
    jobs = client.get("/admin/jobs?page=7")
    assert jobs.status_code == 200
