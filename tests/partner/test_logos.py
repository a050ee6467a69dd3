"""Institution logos and the course picture's text alternative (issue 12, "Pictures")."""

from __future__ import annotations

import io
import re

from mooc_portal.db import session
from tests.factories import make_account


def _png(width=300, height=300):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 90, 140)).save(out, "PNG")
    return out.getvalue()


def post_file(client, auth, url, data, **fields):
    return client.post(
        url,
        data={
            "csrf_token": auth.csrf_token(url),
            "image": (io.BytesIO(data), "logo.png"),
            **fields,
        },
        content_type="multipart/form-data",
    )


def test_a_manager_uploads_the_logo_and_every_page_shows_it(client, auth, home):
    institution, course = home["institution"], home["course"]
    course.status = "published"
    session.commit()
    url = f"/partner/{institution.slug}/logo"
    auth.login(home["editor"].email)
    assert client.get(url).status_code == 403  # managers only
    auth.logout()
    auth.login(home["manager"].email)
    assert 'href="/partner/home-u/logo"' in client.get("/partner/home-u/").get_data(as_text=True)
    refused = post_file(client, auth, url, b"GIF89a not allowed")
    assert refused.status_code == 400
    assert 'id="image-error"' in refused.get_data(as_text=True)
    assert institution.logo is None
    assert post_file(client, auth, url, _png()).status_code == 302
    session.expire_all()
    name = institution.logo
    assert name and name.endswith(".png")
    auth.logout()
    logo = f'<img class="partner-logo" src="/partner/media/{name}?w=320" alt=""'
    for page in ("/institutions", f"/institutions/{institution.slug}", f"/courses/{course.slug}"):
        html = client.get(page).get_data(as_text=True)
        assert logo in html, page  # decorative: the institution's name is written beside it
    served = client.get(f"/partner/media/{name}?w=320")
    assert served.status_code == 200 and served.mimetype == "image/png"


def test_an_administrator_replaces_a_logo(client, auth, home):
    admin = make_account(is_admin=True)
    institution = home["institution"]
    session.commit()
    auth.login(admin.email)
    page = client.get(f"/admin/institutions/{institution.slug}").get_data(as_text=True)
    assert f'href="/admin/institutions/{institution.slug}/logo">Upload a logo' in page
    url = f"/admin/institutions/{institution.slug}/logo"
    assert post_file(client, auth, url, _png()).status_code == 302
    session.expire_all()
    first = institution.logo
    assert post_file(client, auth, url, _png(200, 100)).status_code == 302
    session.expire_all()
    assert institution.logo != first
    assert client.get(f"/partner/media/{first}").status_code == 404  # the old one is gone


def test_the_course_picture_is_described_by_its_text_alternative(client, auth, home):
    course = home["course"]
    course.status = "published"
    session.commit()
    url = f"/partner/courses/{course.uuid}/image"
    auth.login(home["editor"].email)
    assert 'name="image_alt"' in client.get(url).get_data(as_text=True)
    assert post_file(client, auth, url, _png()).status_code == 302
    session.expire_all()
    html = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    picture = re.search(r'<img class="course-image"[^>]*>', html).group(0)
    assert 'alt="Home Draft"' in picture  # without a text alternative: the course's title
    # The text alternative alone can be changed, the picture stays.
    described = client.post(
        url, data={"csrf_token": auth.csrf_token(url), "image_alt": "Students in a lab"}
    )
    assert described.status_code == 302
    session.expire_all()
    assert course.image and course.image_alt == "Students in a lab"
    html = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert 'alt="Students in a lab"' in re.search(r'<img class="course-image"[^>]*>', html).group(0)
    # Cards name the course beside the picture: decorative there.
    catalog = client.get("/courses").get_data(as_text=True)
    assert re.search(r'<img class="card-picture"[^>]*alt=""', catalog)
