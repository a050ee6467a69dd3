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
    assert instance["courseWorkload"] == "PT4H"


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
