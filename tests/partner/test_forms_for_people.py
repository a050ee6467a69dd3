"""Partner forms made for people: languages by name, a subject list to search, run dates in
the partner's own time zone, and a dashboard that says what waits."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from mooc_portal.catalog.models import Course, CourseRun
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from tests.factories import make_account, make_run
from tests.page_reading import checkbox_labels
from tests.partner.course_forms import post_course


def test_languages_are_chosen_by_name_and_post_their_tags(client, auth, home):
    auth.login(home["editor"].email)
    url = f"/partner/{home['institution'].slug}/courses/new"
    page = client.get(url).get_data(as_text=True)
    teaching = checkbox_labels(page, "teaching_languages")
    assert teaching["ko"] == "Korean (ko)" and teaching["vi"] == "Vietnamese (vi)"
    assert "Korean (ko)" in re.search(
        r'<select[^>]*name="original_language".*?</select>', page, re.S
    ).group(0)
    assert "<legend>Teaching languages</legend>" in page
    response = post_course(
        client,
        auth,
        url,
        teaching_languages=["ko", "en"],
        subtitle_languages=["vi", "th"],
        original_language="ko",
    )
    assert response.status_code == 302
    course = session.scalar(select(Course).where(Course.code == "NEW1"))
    assert course.teaching_languages == ["ko", "en"]
    assert course.subtitle_languages == ["vi", "th"] and course.original_language == "ko"
    # The edit form ticks them, first in the list, and names them in the visitor's language.
    edit = client.get(
        f"/partner/courses/{course.uuid}/edit", headers={"Accept-Language": "de"}
    ).get_data(as_text=True)
    ticked = re.findall(r'<input checked[^>]*name="teaching_languages"[^>]*value="([^"]+)"', edit)
    assert sorted(ticked) == ["en", "ko"]
    assert checkbox_labels(edit, "teaching_languages")["ko"] == "Koreanisch (ko)"


def test_a_bad_language_is_still_refused_at_its_field_and_kept(client, auth, home):
    auth.login(home["editor"].email)
    url = f"/partner/{home['institution'].slug}/courses/new"
    response = post_course(client, auth, url, teaching_languages=["en", "klingon!!"])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="teaching_languages-error">[^<]*klingon', page)
    # What was posted is offered back, ticked: nothing the partner chose is lost.
    assert re.search(r'<input checked[^>]*value="klingon!!"', page)
    nothing = post_course(client, auth, url, teaching_languages=[])
    assert nothing.status_code == 400
    assert "Choose at least one language." in nothing.get_data(as_text=True)


def test_subjects_are_a_list_of_checkboxes_the_script_can_search(client, auth, home):
    auth.login(home["editor"].email)
    page = client.get(f"/partner/courses/{home['course'].uuid}/edit").get_data(as_text=True)
    subjects = checkbox_labels(page, "subjects")
    assert len(subjects) > 100 and subjects["0613"].startswith("0613 ")
    assert '<ul class="choice-list" id="subjects" data-filter-label="Find in the list"' in page
    assert "<select" not in re.search(r"<legend>Subject areas.*?</fieldset>", page, re.S).group(0)


def test_run_dates_are_entered_and_shown_in_the_profile_time_zone(client, auth, home):
    home["manager"].timezone = "Asia/Seoul"
    session.flush()
    auth.login(home["manager"].email)
    url = f"/partner/courses/{home['course'].uuid}/runs/new"
    page = client.get(url).get_data(as_text=True)
    assert "Dates and times are in your profile&#39;s time zone, Korean Time (Asia/Seoul)" in page
    assert "Time zone: Korean Time (Asia/Seoul)" in page
    response = client.post(
        url,
        data={
            "csrf_token": auth.csrf_token(url),
            "start_at": "2031-03-02T09:00",
            "end_at": "2031-04-13T18:00",
            "delivery_mode": "online",
        },
    )
    assert response.status_code == 302
    run = session.scalars(
        select(CourseRun)
        .where(CourseRun.course_id == home["course"].id)
        .order_by(CourseRun.id.desc())
    ).first()
    assert run.start_at == datetime(2031, 3, 2, 0, 0, tzinfo=UTC)  # 09:00 in Seoul
    assert run.end_at == datetime(2031, 4, 13, 9, 0, tzinfo=UTC)
    edit = client.get(f"/partner/courses/{home['course'].uuid}/runs/{run.uuid}").get_data(
        as_text=True
    )
    assert 'value="2031-03-02T09:00"' in edit and 'value="2031-04-13T18:00"' in edit


def test_without_a_profile_zone_the_form_says_utc_and_how_to_change_it(client, auth, home):
    auth.login(home["manager"].email)
    page = client.get(f"/partner/courses/{home['course'].uuid}/runs/new").get_data(as_text=True)
    assert "Dates and times are in UTC" in page and "Time zone: UTC" in page


def test_dashboard_lists_enrolments_to_review_and_runs_as_links(client, auth, home):
    run = make_run(home["course"], requires_approval=True, enrollment_start_at=utcnow())
    home["course"].status = "published"
    session.flush()
    for _ in range(2):
        learner = make_account()
        enrolment.enroll(run, learner, actor=learner)
    auth.login(home["manager"].email)
    page = client.get(f"/partner/{home['institution'].slug}/").get_data(as_text=True)
    section = page.split('id="pending-heading"')[1].split("</section>")[0]
    assert f'href="/partner/enrolments?run={run.uuid}&amp;state=pending"' in section
    assert "2 enrolments await approval" in section
    runs = page.split('id="runs-heading"')[1].split("</section>")[0]
    assert f'href="/partner/courses/{home["course"].uuid}/runs/{run.uuid}"' in runs
    # The link leads to those enrolments.
    review = client.get(f"/partner/enrolments?run={run.uuid}&state=pending").get_data(as_text=True)
    assert review.count('name="enrollments"') == 2

    # An editor sees what waits, without a link to a page only managers may use.
    auth.logout()
    auth.login(home["editor"].email)
    page = client.get(f"/partner/{home['institution'].slug}/").get_data(as_text=True)
    section = page.split('id="pending-heading"')[1].split("</section>")[0]
    assert "2 enrolments await approval" in section and "/partner/enrolments" not in section
