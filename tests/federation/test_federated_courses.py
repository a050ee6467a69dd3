"""Courses harvested from a peer: shown with their origin, enrolled in there, never edited here."""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrollment
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.errors import Conflict
from mooc_portal.publishing import services as publishing
from mooc_portal.publishing import validation, workflow
from mooc_portal.publishing.validation import CourseData
from tests.factories import (
    make_account,
    make_course,
    make_federated_course,
    make_institution,
    make_run,
)


def open_run(course):
    return make_run(course, enrollment_start_at=utcnow() - timedelta(days=1))


@pytest.fixture
def federated(db_session):
    course = make_federated_course("Harvested Glaciology", peer_name="Nordic MOOC Hub")
    open_run(course)
    return course


def test_publishing_services_refuse_to_edit_a_federated_course(db_session, federated):
    admin = make_account(is_admin=True)
    editor = make_account(memberships={federated.institution: "manager"})
    data = CourseData(code="NEW", original_language="en")
    for actor in (admin, editor):
        with pytest.raises(Conflict, match="Nordic MOOC Hub"):
            publishing.update_course(actor, federated, data)
        with pytest.raises(Conflict):
            publishing.cancel_run(actor, federated.runs[0])
        with pytest.raises(Conflict):
            workflow.transition_course(actor, federated, "withdraw")
        with pytest.raises(Conflict):
            publishing.create_course(
                actor,
                federated.institution,
                data,
                validation.TranslationData(language="en", title="Sneaked in"),
            )
    session.expire_all()
    assert federated.code != "NEW" and federated.status == "published"
    assert not federated.runs[0].cancelled


def test_partner_pages_refuse_a_federated_course(client, auth, db_session, federated):
    admin = make_account(is_admin=True)
    auth.login(admin.email)
    response = client.get(f"/partner/courses/{federated.uuid}/edit")
    assert response.status_code == 409
    assert "can only be changed there" in response.get_data(as_text=True)


def test_admin_institution_list_offers_no_refused_links_for_a_harvested_institution(
    client, auth, db_session, federated
):
    own = make_institution()
    admin = make_account(is_admin=True)
    auth.login(admin.email)
    listing = client.get("/admin/institutions").get_data(as_text=True)
    rows = {
        slug: next(r for r in listing.split("<tr>")[1:] if f"/{slug}" in r)
        for slug in (federated.institution.slug, own.slug)
    }
    harvested = rows[federated.institution.slug]
    assert "From Nordic MOOC Hub" in harvested
    links = re.findall(r'href="([^"]+)"', harvested)
    assert links == [f"/institutions/{federated.institution.slug}"]
    assert "<form" not in harvested
    assert client.get(links[0]).status_code == 200
    assert f"/admin/institutions/{own.slug}" in rows[own.slug]
    assert f"/partner/{own.slug}/" in rows[own.slug]


def test_catalog_cards_and_course_page_show_the_origin(client, db_session, federated):
    own = make_course("Local Glaciology")
    open_run(own)
    listing = client.get("/courses?q=glaciology").get_data(as_text=True)
    cards = {
        title: next(c for c in listing.split('<li class="card">')[1:] if title in c)
        for title in ("Harvested Glaciology", "Local Glaciology")
    }
    assert "From Nordic MOOC Hub" in cards["Harvested Glaciology"]
    assert "https://peer.example.org/courses/" in cards["Harvested Glaciology"]
    assert "From " not in cards["Local Glaciology"]

    page = client.get(f"/courses/{federated.slug}").get_data(as_text=True)
    assert "From Nordic MOOC Hub" in page
    assert f'href="https://peer.example.org/courses/{federated.id}"' in page
    assert "Log in to enrol" not in page  # the origin link replaces the enrol button
    assert "Log in to enrol" in client.get(f"/courses/{own.slug}").get_data(as_text=True)


def test_enrolment_in_a_federated_course_is_refused(client, auth, db_session, federated):
    learner = make_account()
    with pytest.raises(Conflict, match="enrol there"):
        enrollment.enroll(federated.runs[0], learner, actor=learner)
    auth.login(learner.email)
    own_run = open_run(make_course())
    page = client.get(f"/courses/{own_run.course.slug}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert f"/runs/{federated.runs[0].uuid}/enrol" not in client.get(
        f"/courses/{federated.slug}"
    ).get_data(as_text=True)
    response = client.post(f"/runs/{federated.runs[0].uuid}/enrol", data={"csrf_token": token})
    assert response.status_code == 409
    assert session.scalar(select(func.count()).select_from(Enrollment)) == 0


class _JsonLd(HTMLParser):
    def __init__(self):
        super().__init__()
        self.blocks, self._in, self._head = [], False, True

    def handle_starttag(self, tag, attrs):
        if tag == "script" and ("type", "application/ld+json") in attrs:
            self._in = True
            self.blocks.append(("head" if self._head else "body", ""))
        if tag == "body":
            self._head = False

    def handle_endtag(self, tag):
        self._in = False if tag == "script" else self._in

    def handle_data(self, data):
        if self._in:
            where, text = self.blocks[-1]
            self.blocks[-1] = (where, text + data)


def test_the_course_page_carries_course_json_ld_in_its_head(client, db_session):
    course = make_course("Marine Ecology", institution=make_institution("Busan Ocean University"))
    open_run(course)
    parser = _JsonLd()
    parser.feed(client.get(f"/courses/{course.slug}").get_data(as_text=True))
    assert len(parser.blocks) == 1
    where, text = parser.blocks[0]
    data = json.loads(text)
    assert where == "head"
    assert data["@type"] == "Course"
    assert data["name"] == "Marine Ecology"
    assert data["provider"]["name"] == "Busan Ocean University"
