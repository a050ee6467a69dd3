import json
import re
from datetime import timedelta
from xml.etree import ElementTree

from flask import render_template

from mooc_portal.catalog.models import CourseStatus, Pace
from mooc_portal.db import utcnow
from tests.factories import make_course, make_institution, make_run


def test_course_json_ld_describes_the_course_and_its_runs(app, db_session):
    institution = make_institution(
        "Lisbon Open University", country="PT", website="https://lou.example"
    )
    course = make_course(
        "Atlantic History", institution=institution, teaching_languages=("pt", "en"), runs=1
    )
    make_run(course, start=None)
    with app.test_request_context("/"):
        html = render_template("mooc_portal/federation/course_jsonld.html", course=course)
    match = re.fullmatch(r'<script type="application/ld\+json">(.*)</script>\s*', html, re.S)
    assert match
    data = json.loads(match.group(1))
    assert data["@type"] == "Course" and data["name"] == "Atlantic History"
    assert data["provider"]["name"] == "Lisbon Open University"
    assert data["offers"]["category"] == "Free"
    instances = data["hasCourseInstance"]
    [scheduled] = [i for i in instances if "startDate" in i]
    [unscheduled] = [i for i in instances if "startDate" not in i]
    assert scheduled["courseMode"] == "Online"
    assert scheduled["inLanguage"] == ["pt", "en"]
    dated = next(r for r in course.runs if r.start_at is not None)
    assert scheduled["startDate"] == dated.start_at.date().isoformat()
    assert "courseSchedule" in scheduled
    assert "courseWorkload" in unscheduled


def test_json_ld_cannot_break_out_of_its_script_block(app, db_session):
    course = make_course("</script><script>alert(1)</script>", runs=1)
    with app.test_request_context("/"):
        html = render_template("mooc_portal/federation/course_jsonld.html", course=course)
    assert html.count("</script>") == 1


def test_self_paced_instances_give_a_workload(app, db_session):
    course = make_course(pace=Pace.SELF_PACED)
    make_run(course, start=utcnow() - timedelta(days=3))
    with app.test_request_context("/"):
        html = render_template("mooc_portal/federation/course_jsonld.html", course=course)
    [instance] = json.loads(re.search(r">(.*)<", html, re.S).group(1))["hasCourseInstance"]
    assert instance["courseWorkload"] == "PT24H"  # 4 hours a week for 6 weeks


def test_sitemap_lists_public_institutions_and_courses_with_lastmod(client, db_session):
    institution = make_institution()
    course = make_course(institution=institution)
    draft = make_course(institution=institution, status=CourseStatus.DRAFT)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ElementTree.fromstring(response.get_data())
    entries = {
        u.find("s:loc", ns).text: getattr(u.find("s:lastmod", ns), "text", None)
        for u in root.findall("s:url", ns)
    }
    course_url = f"http://localhost/courses/{course.slug}"
    assert entries[course_url] == course.modified_at.date().isoformat()
    assert f"http://localhost/institutions/{institution.slug}" in entries
    assert f"http://localhost/courses/{draft.slug}" not in entries


def json_ld(client, course):
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return page, json.loads(match.group(1))


def test_a_harvested_course_points_search_engines_to_its_origin(client, db_session):
    from tests.factories import make_federated_course

    own = make_course("Local Glaciology", runs=1)
    harvested = make_federated_course("Harvested Glaciology", runs=1)
    origin = f"https://peer.example.org/courses/{harvested.id}"
    page, data = json_ld(client, harvested)
    assert f'<link rel="canonical" href="{origin}">' in page
    assert data["@id"] == data["url"] == origin
    # its provider is identified on the web even without a website of its own
    assert harvested.institution.website is None
    assert data["provider"]["sameAs"] == (
        f"https://peer.example.org/institutions/{harvested.institution.id}"
    )
    own_page, own_data = json_ld(client, own)
    assert f'<link rel="canonical" href="http://localhost/courses/{own.slug}">' in own_page
    assert own_data["url"] == f"http://localhost/courses/{own.slug}"

    root = ElementTree.fromstring(client.get("/sitemap.xml").get_data())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {u.find("s:loc", ns).text for u in root.findall("s:url", ns)}
    assert f"http://localhost/courses/{own.slug}" in locs
    assert f"http://localhost/courses/{harvested.slug}" not in locs
    assert f"http://localhost/institutions/{harvested.institution.slug}" not in locs
    assert f"http://localhost/institutions/{own.institution.slug}" in locs


def test_workload_schedule_and_offer_follow_googles_course_guidelines(client, db_session):
    from decimal import Decimal

    from mooc_portal.catalog.models import Credential

    paced = make_course(effort_hours=Decimal("4"), length_weeks=6, credential=Credential.ECTS,
                        ects_credits=Decimal("3"))  # fmt: skip
    make_run(paced, start=utcnow() + timedelta(days=7))
    _page, data = json_ld(client, paced)
    [instance] = data["hasCourseInstance"]
    schedule = instance["courseSchedule"]
    assert schedule["repeatFrequency"] in ("Daily", "Weekly", "Monthly", "Yearly")
    assert schedule == {"@type": "Schedule", "repeatFrequency": "Weekly", "duration": "PT4H",
                        "repeatCount": 6}  # fmt: skip
    # the course costs nothing, whatever it awards
    assert data["offers"]["category"] == "Free" and data["offers"]["price"] == 0

    self_paced = make_course(pace=Pace.SELF_PACED, effort_hours=Decimal("2.5"), length_weeks=4)
    make_run(self_paced, start=utcnow() - timedelta(days=3))
    _page, data = json_ld(client, self_paced)
    assert data["hasCourseInstance"][0]["courseWorkload"] == "PT10H"  # 2.5 h x 4 weeks
