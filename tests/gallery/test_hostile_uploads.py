"""Every hostile upload of the issue, through every way in: the API (photos and styles), the
photo upload page, the create form (photo and style files) and the admin's style form.

Each gets a 400 whose message names the file and says what is wrong, and leaves nothing
behind: no row, no file under MEDIA_ROOT, no job on the queue.
"""

import html

import django_rq
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gallery.models import Photo, Style, Stylization
from tests.gallery.api.conftest import token_client
from tests.gallery.factories import make_style, make_user, upload
from tests.gallery.hostile import HTML, hostile_uploads, png_with_text

pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")

HOSTILE = hostile_uploads()
POLYGLOT = next(case for case in HOSTILE if case.id == "html-png-polyglot")


def _file(case) -> SimpleUploadedFile:
    return SimpleUploadedFile(case.name, case.data, content_type=case.content_type)


def _create_form(**files) -> dict:
    return {"styles": [str(make_style().pk)], "size": "256", "preset": "draft", "style_strength": "1", **files}


def _nothing_left(media_root_files, files_before: tuple = ()) -> None:
    assert not Photo.objects.exists()
    assert not Style.objects.exclude(owner=None).exists()
    assert not Stylization.objects.exists()
    assert media_root_files() == list(files_before)


@pytest.mark.django_db
@pytest.mark.parametrize("case", HOSTILE, ids=[case.id for case in HOSTILE])
def test_api_photo_upload_refuses_it(case, media_root_files):
    response = token_client(make_user()).post("/api/v1/photos/", {"image": _file(case)}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body == {"code": "invalid", "detail": f"image: {case.message}", "fields": {"image": [case.message]}}
    _nothing_left(media_root_files)


@pytest.mark.django_db
@pytest.mark.parametrize("case", HOSTILE, ids=[case.id for case in HOSTILE])
def test_photo_upload_page_refuses_it(case, user_client, media_root_files):
    response = user_client.post(reverse("gallery:photo_list"), {"image": _file(case)})
    assert response.status_code == 400
    assert html.escape(case.message) in response.content.decode()
    _nothing_left(media_root_files)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", HOSTILE, ids=[case.id for case in HOSTILE])
def test_create_form_refuses_it_as_the_photo_and_queues_nothing(case, user_client, idle_queue, media_root_files):
    form = _create_form(photo_file=_file(case))
    style_files = media_root_files()  # the curated style the form picks
    response = user_client.post(reverse("gallery:stylization_create"), form)
    assert response.status_code == 400
    assert response.context["form"].errors["photo_file"] == [case.message]
    assert html.escape(case.message) in response.content.decode()
    _nothing_left(media_root_files, style_files)
    assert django_rq.get_queue(settings.RQ_QUEUE).count == 0


@pytest.mark.django_db(transaction=True)
def test_create_form_refuses_it_as_the_style_and_keeps_nothing_of_the_good_photo(
    user_client, idle_queue, media_root_files
):
    form = _create_form(photo_file=upload("fine.jpg"), style_file=_file(POLYGLOT))
    style_files = media_root_files()
    response = user_client.post(reverse("gallery:stylization_create"), form)
    assert response.status_code == 400
    assert response.context["form"].errors["style_file"] == [POLYGLOT.message]
    _nothing_left(media_root_files, style_files)
    assert django_rq.get_queue(settings.RQ_QUEUE).count == 0


@pytest.mark.django_db
def test_api_style_upload_refuses_it(media_root_files):
    staff = token_client(make_user(is_staff=True))
    response = staff.post("/api/v1/styles/", {"title": "Sneaky", "image": _file(POLYGLOT)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["fields"] == {"image": [POLYGLOT.message]}
    assert not Style.objects.filter(title="Sneaky").exists()
    assert media_root_files() == []


@pytest.mark.django_db
def test_admin_style_form_refuses_it(client, media_root_files):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    form = {"title": "Sneaky", "artist": "", "year": "", "is_active": "on", "position": "0"}
    response = client.post(reverse("admin:gallery_style_add"), {**form, "image_file": _file(POLYGLOT)})
    assert response.status_code == 200  # the admin shows its form again
    assert html.escape(POLYGLOT.message) in response.content.decode()
    assert not Style.objects.filter(title="Sneaky").exists()
    assert media_root_files() == []


@pytest.mark.django_db
def test_the_same_image_without_the_html_is_accepted_everywhere(user_client):
    """The control: what makes the polyglot refused is the HTML, not the picture."""
    clean = png_with_text("Ada's holiday")
    assert HTML not in clean
    assert user_client.post(reverse("gallery:photo_list"), {"image": upload("ok.png", clean)}).status_code == 302
    api = token_client(user_client.user).post("/api/v1/photos/", {"image": upload("ok.png", clean)}, format="multipart")
    assert api.status_code == 201
