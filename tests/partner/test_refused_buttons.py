"""Issue 12, defect 5: a button of the course overview that the services refuse (a run
already cancelled, the original text removed, a move the course's state no longer allows)
shows the overview again with the message, answering with the refusal's status; nothing
changes."""

from __future__ import annotations

import re

from mooc_portal.db import session


def refusal(response) -> str:
    page = response.get_data(as_text=True)
    assert "<h1>HOME1: " in page, "not the course overview"
    found = re.search(
        r'<div class="form-errors" role="alert"><p class="error-message">(.*?)</p>', page
    )
    assert found, "no message on the overview"
    return found.group(1)


def test_refused_buttons_come_back_to_the_course_overview(client, auth, home):
    course, run = home["course"], home["run"]
    auth.login(home["manager"].email)
    overview = f"/partner/courses/{course.uuid}/"
    token = auth.csrf_token(overview)
    cancel = f"/partner/courses/{course.uuid}/runs/{run.uuid}/cancel"
    assert client.post(cancel, data={"csrf_token": token}).status_code == 302
    again = client.post(cancel, data={"csrf_token": token})
    assert again.status_code == 409
    assert refusal(again) == "This run is already cancelled."

    original = f"/partner/courses/{course.uuid}/translations/{course.original_language}/delete"
    response = client.post(original, data={"csrf_token": token})
    assert response.status_code == 400
    assert refusal(response) == "The original language&#39;s text cannot be removed."

    move = f"/partner/courses/{course.uuid}/transition"
    response = client.post(move, data={"csrf_token": token, "action": "resubmit"})
    assert response.status_code == 409
    assert refusal(response) == "This course is not in a state that allows this."
    session.expire_all()
    assert course.status == "draft" and len(course.translations) >= 1

    expired = client.post(cancel, data={"csrf_token": "stale"})
    assert expired.status_code == 400
    assert refusal(expired) == "The form has expired; try again."
