"""photos/: upload, list, retrieve, delete and download, each only for the owner."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gallery import errors
from gallery.models import Photo
from tests.gallery.factories import image_bytes, make_photo, make_user

pytestmark = pytest.mark.django_db


def _upload(client, data=None, name="holiday.jpg"):
    file = SimpleUploadedFile(name, image_bytes((96, 64)) if data is None else data, content_type="image/jpeg")
    return client.post("/api/v1/photos/", {"image": file}, format="multipart")


def test_upload_stores_the_photo_and_answers_with_its_urls(as_alice, alice):
    response = _upload(as_alice)
    assert response.status_code == 201
    body = response.json()
    photo = Photo.objects.get(pk=body["id"])
    assert photo.owner == alice
    assert (body["width"], body["height"], body["original_name"]) == (96, 64, "holiday.jpg")
    assert response["Location"] == f"http://testserver/api/v1/photos/{photo.pk}/"
    assert body["image_url"] == f"http://testserver/api/v1/photos/{photo.pk}/image/"
    image = as_alice.get(body["image_url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    thumbnail = as_alice.get(body["thumbnail_url"], HTTP_ACCEPT="image/*")
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"].startswith("image/")


def test_upload_that_is_not_an_image_is_a_400_on_the_image_field(as_alice):
    response = _upload(as_alice, data=b"%PDF-1.4 definitely not a picture", name="cv.pdf")
    assert response.status_code == 400
    assert response.json()["fields"] == {"image": [errors.NOT_AN_IMAGE.format(name="cv.pdf")]}
    assert not Photo.objects.exists()


def test_upload_without_a_file_is_a_400(as_alice):
    response = as_alice.post("/api/v1/photos/", {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["fields"] == {"image": ["No file was submitted."]}


def test_upload_over_the_pixel_limit_is_refused(settings, as_alice):
    settings.UPLOAD_MAX_PIXELS = 1000
    response = _upload(as_alice)
    assert response.status_code == 400
    assert "megapixels" in response.json()["fields"]["image"][0]


def test_list_shows_only_my_photos_newest_first(alice, bob, as_alice):
    older, newer = make_photo(alice), make_photo(alice)
    make_photo(bob)
    body = as_alice.get("/api/v1/photos/").json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [str(newer.pk), str(older.pk)]


def test_list_is_paginated(alice, as_alice):
    for _ in range(3):
        make_photo(alice)
    body = as_alice.get("/api/v1/photos/?page_size=2&page=2").json()
    assert body["count"] == 3 and len(body["results"]) == 1 and body["next"] is None
    assert as_alice.get("/api/v1/photos/?page=9").status_code == 404


def test_delete_removes_the_photo_and_its_files(alice, as_alice, django_capture_on_commit_callbacks):
    photo = make_photo(alice)
    path = photo.image.path
    with django_capture_on_commit_callbacks(execute=True):
        assert as_alice.delete(f"/api/v1/photos/{photo.pk}/").status_code == 204
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert as_alice.get(f"/api/v1/photos/{photo.pk}/").status_code == 404
    with pytest.raises(FileNotFoundError):
        Image.open(path)


def test_staff_may_see_anyones_photo(alice):
    from tests.gallery.api.conftest import token_client

    photo = make_photo(alice)
    staff = token_client(make_user(is_staff=True))
    assert staff.get(f"/api/v1/photos/{photo.pk}/image/").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/photos/not-a-uuid/", "/api/v1/photos/0.5/image/", "/api/v1/nowhere/"])
def test_unknown_paths_under_the_api_are_json_404s(as_alice, path):
    response = as_alice.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
