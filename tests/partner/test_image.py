"""Course image upload: type and size checked before storing, served with its content type."""

from __future__ import annotations

import io

import pytest

from mooc_portal.db import session
from mooc_portal.publishing.models import MediaFile

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def media(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MOOC_MEDIA_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "MOOC_MAX_IMAGE_BYTES", 1024)
    return tmp_path


@pytest.fixture
def disk_storage(app, monkeypatch):
    monkeypatch.setitem(app.config, "MOOC_MEDIA_STORAGE", "disk")


def upload(client, auth, course, data, filename):
    url = f"/partner/courses/{course.uuid}/image"
    return client.post(
        url,
        data={"csrf_token": auth.csrf_token(url), "image": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_a_png_is_stored_in_the_database_and_served_for_a_year(client, auth, home, media):
    auth.login(home["editor"].email)
    assert upload(client, auth, home["course"], PNG, "photo.png").status_code == 302
    name = home["course"].image
    assert list(media.iterdir()) == []  # nothing on this host's disk
    assert session.get(MediaFile, name).data == PNG
    auth.logout()
    served = client.get(f"/partner/media/{name}")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.data == PNG
    again = client.get(f"/partner/media/{name}", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304


def test_disk_storage_keeps_the_file_on_disk(client, auth, home, media, disk_storage):
    auth.login(home["editor"].email)
    assert upload(client, auth, home["course"], PNG, "photo.png").status_code == 302
    name = home["course"].image
    assert (media / name).read_bytes() == PNG
    assert session.get(MediaFile, name) is None
    served = client.get(f"/partner/media/{name}")
    assert served.status_code == 200
    assert served.data == PNG


def test_a_replaced_image_is_deleted(client, auth, home, media):
    auth.login(home["editor"].email)
    upload(client, auth, home["course"], PNG, "first.png")
    first = home["course"].image
    upload(client, auth, home["course"], PNG + b"\x01", "second.png")
    second = home["course"].image
    assert second != first
    assert session.get(MediaFile, first) is None
    assert client.get(f"/partner/media/{first}").status_code == 404
    assert client.get(f"/partner/media/{second}").data == PNG + b"\x01"


def test_images_on_disk_move_into_the_database(client, runner, media):
    name = "b" * 32 + ".png"
    (media / name).write_bytes(PNG)
    (media / "notes.txt").write_text("not an image")
    result = runner.invoke(args=["portal", "media-to-database"])
    assert "1 images copied into the database, 0 were there already." in result.output
    assert session.get(MediaFile, name).data == PNG
    (media / name).unlink()  # the old host's disk is gone: the database serves it
    assert client.get(f"/partner/media/{name}").data == PNG
    again = runner.invoke(args=["portal", "media-to-database"])
    assert "0 images copied" in again.output


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"<html><script>alert(1)</script></html>", "photo.png"),  # named png, is not
        (b"GIF89a" + b"\x00" * 20, "anim.gif"),
        (PNG + b"\x00" * 2048, "big.png"),  # over the configured limit
    ],
)
def test_wrong_type_or_oversized_upload_is_refused_before_storing(
    client, auth, home, media, data, filename
):
    auth.login(home["editor"].email)
    response = upload(client, auth, home["course"], data, filename)
    assert response.status_code == 400
    assert 'id="image-error"' in response.get_data(as_text=True)
    assert list(media.iterdir()) == []
    assert home["course"].image is None


def test_unknown_media_names_are_not_found(client, media):
    assert client.get("/partner/media/..%2Fsecret_key").status_code == 404
    assert client.get("/partner/media/" + "a" * 32 + ".png").status_code == 404


def test_a_request_body_over_the_limit_is_refused_unread(
    app, client, auth, home, media, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    auth.login(home["editor"].email)
    response = upload(client, auth, home["course"], PNG + b"\x00" * 8192, "big.png")
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert home["course"].image is None
    assert list(media.iterdir()) == []


def test_a_replaced_image_is_deleted_once_the_new_one_is_saved(
    client, auth, home, media, disk_storage
):
    """Issue 8: replaced course images were never deleted."""
    auth.login(home["editor"].email)
    assert upload(client, auth, home["course"], PNG, "first.png").status_code == 302
    first = home["course"].image
    assert upload(client, auth, home["course"], PNG + b"2", "second.png").status_code == 302
    second = home["course"].image
    assert second != first
    assert [p.name for p in media.iterdir()] == [second]
    assert client.get(f"/partner/media/{first}").status_code == 404


def test_a_refused_replacement_keeps_the_old_image_and_leaves_no_file(
    client, auth, home, media, disk_storage
):
    auth.login(home["editor"].email)
    assert upload(client, auth, home["course"], PNG, "first.png").status_code == 302
    first = home["course"].image
    assert upload(client, auth, home["course"], b"not an image", "x.png").status_code == 400
    assert home["course"].image == first
    assert [p.name for p in media.iterdir()] == [first]


def _jpeg(width=1200, height=675):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 90, 140)).save(out, "JPEG")
    return out.getvalue()


def test_pictures_show_on_cards_home_and_institution_pages_in_every_size(client, app):
    """Issue 12, "Pictures": the course's picture on the catalog cards, the home page and its
    institution's page, offered at 320, 640 and 960 pixels (srcset) so a phone loads less."""
    from PIL import Image

    from mooc_portal.publishing import media as media_store
    from tests.factories import make_course, make_run

    course = make_course("Seas of Asia and Europe", credential="certificate")
    make_run(course, enrollment_start_at=None)
    course.image = media_store.store_image(io.BytesIO(_jpeg()))
    session.commit()
    src = f"/partner/media/{course.image}"
    srcset = f"{src}?w=320 320w, {src}?w=640 640w, {src}?w=960 960w"
    for path in ("/courses", f"/institutions/{course.institution.slug}"):
        page = client.get(path).get_data(as_text=True)
        assert f'srcset="{srcset}"' in page, path
        assert 'class="card-picture"' in page and 'loading="lazy"' in page
    detail = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert f'srcset="{srcset}"' in detail and 'class="course-image"' in detail
    for width in (320, 640, 960):
        served = client.get(f"{src}?w={width}")
        assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
        assert Image.open(io.BytesIO(served.data)).width == width
    assert client.get(f"{src}?w=123").status_code == 404  # only the offered sizes
    assert client.get(src).data == session.get(MediaFile, course.image).data


@pytest.fixture
def s3_storage(app, monkeypatch):
    from tests.object_store import object_store

    with object_store() as store:
        for key, value in store.config().items():
            monkeypatch.setitem(app.config, key, value)
        yield store


def test_s3_storage_keeps_the_image_in_the_object_store(client, auth, home, media, s3_storage):
    auth.login(home["editor"].email)
    assert upload(client, auth, home["course"], PNG, "photo.png").status_code == 302
    name = home["course"].image
    assert s3_storage.keys() == [f"media/{name}"]
    stored = s3_storage.client().get_object(Bucket=s3_storage.bucket, Key=f"media/{name}")
    assert stored["Body"].read() == PNG
    assert stored["ContentType"] == "image/png"
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"
    assert session.get(MediaFile, name) is None
    assert list(media.iterdir()) == []
    auth.logout()
    served = client.get(f"/partner/media/{name}")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.data == PNG
    again = client.get(f"/partner/media/{name}", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304


def test_s3_storage_deletes_a_replaced_image_and_a_refused_one_leaves_nothing(
    client, auth, home, media, s3_storage
):
    auth.login(home["editor"].email)
    assert upload(client, auth, home["course"], PNG, "first.png").status_code == 302
    first = home["course"].image
    assert upload(client, auth, home["course"], b"not an image", "x.png").status_code == 400
    assert s3_storage.keys() == [f"media/{first}"]
    assert upload(client, auth, home["course"], PNG + b"2", "second.png").status_code == 302
    second = home["course"].image
    assert s3_storage.keys() == [f"media/{second}"]
    assert client.get(f"/partner/media/{first}").status_code == 404
    assert client.get(f"/partner/media/{second}").data == PNG + b"2"


def test_s3_storage_with_a_public_url_redirects_there_for_a_year(
    app, client, auth, home, media, s3_storage, monkeypatch
):
    import json

    s3_storage.client().put_bucket_policy(  # what an operator does for a public bucket
        Bucket=s3_storage.bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{s3_storage.bucket}/*",
                    }
                ],
            }
        ),
    )
    monkeypatch.setitem(
        app.config, "MOOC_MEDIA_S3_PUBLIC_URL", f"{s3_storage.endpoint_url}/{s3_storage.bucket}/"
    )
    auth.login(home["editor"].email)
    picture = _jpeg(200, 100)
    assert upload(client, auth, home["course"], picture, "photo.jpg").status_code == 302
    name = home["course"].image
    served = client.get(f"/partner/media/{name}")
    assert served.status_code == 301
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    location = served.headers["Location"]
    assert location == f"{s3_storage.endpoint_url}/{s3_storage.bucket}/media/{name}"
    import httpx

    assert httpx.get(location, timeout=10).content == picture  # the store serves it itself
    smaller = client.get(f"/partner/media/{name}?w=320")  # the sizes: the portal makes them
    assert smaller.status_code == 200
    assert smaller.data == picture  # narrower than 320 already: not scaled up


def test_images_in_the_database_are_still_served_with_s3_storage(
    client, auth, home, media, s3_storage, app, monkeypatch
):
    monkeypatch.setitem(app.config, "MOOC_MEDIA_STORAGE", "database")
    auth.login(home["editor"].email)
    assert upload(client, auth, home["course"], PNG, "photo.png").status_code == 302
    name = home["course"].image
    monkeypatch.setitem(app.config, "MOOC_MEDIA_STORAGE", "s3")
    assert client.get(f"/partner/media/{name}").data == PNG
