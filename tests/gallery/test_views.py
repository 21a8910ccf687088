"""The pages, through Django's test client: what a user sees (what other users cannot: test_two_users.py)."""

import html
import io
import time

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.db import transaction
from django.urls import reverse
from PIL import Image

from gallery import errors
from gallery.models import Photo, Style, Stylization
from tests.gallery.factories import (
    image_bytes,
    make_finished_stylization,
    make_photo,
    make_style,
    make_stylization,
    make_user,
    upload,
)
from tests.gallery.responses import assert_served_as_an_image_only

PASSWORD = "s3cret-pass-123"


_stylization = make_stylization


# Accounts ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_up_logs_the_new_user_in(client):
    form = {
        "username": "ada",
        "email": "ada@example.com",
        "password1": "Correct-Horse-9",
        "password2": "Correct-Horse-9",
    }
    response = client.post(reverse("signup"), form)
    assert response.status_code == 302
    assert User.objects.get(username="ada").email == "ada@example.com"
    assert client.get(reverse("gallery:stylization_list")).status_code == 200


@pytest.mark.django_db
def test_sign_up_refuses_a_common_password_and_creates_no_one(client):
    form = {"username": "ada", "password1": "password123", "password2": "password123"}
    response = client.post(reverse("signup"), form)
    assert response.status_code == 400
    assert html.escape(CommonPasswordValidator().get_error_message()) in response.content.decode()
    assert not User.objects.filter(username="ada").exists()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_log_in_log_out_and_change_password(client):
    make_user("grace", password=PASSWORD)
    assert client.post(reverse("login"), {"username": "grace", "password": PASSWORD}).status_code == 302
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Another-Secret-7", "new_password2": "Another-Secret-7"},
    )
    assert response.status_code == 302
    client.post(reverse("logout"))
    assert client.get(reverse("gallery:stylization_list")).status_code == 302
    assert client.post(reverse("login"), {"username": "grace", "password": "Another-Secret-7"}).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["gallery:stylization_list", "gallery:photo_list", "gallery:stylization_create"])
def test_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# Pages render ------------------------------------------------------------------------


@pytest.mark.django_db
def test_catalogue_lists_active_curated_styles_only(client):
    shown = make_style("Shown Style", artist="A. Painter", year="1901")
    make_style("Hidden Style", is_active=False)
    make_style("Someone's Own", owner=make_user())
    page = client.get(reverse("gallery:style_list")).content.decode()
    assert "Shown Style" in page and "A. Painter" in page and "1901" in page
    assert "Hidden Style" not in page and "Someone&#x27;s Own" not in page
    assert client.get(reverse("gallery:style_thumbnail", args=[shown.pk])).status_code == 200


@pytest.mark.django_db
def test_fresh_install_has_starter_styles():
    assert Style.objects.active().count() >= 3


@pytest.mark.django_db
def test_create_form_offers_the_engine_presets(user_client):
    page = user_client.get(reverse("gallery:stylization_create")).content.decode()
    for preset in ("draft", "standard", "high"):
        assert f'value="{preset}"' in page


# Uploads -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_uploading_a_photo_lists_it_with_a_thumbnail(user_client):
    response = user_client.post(reverse("gallery:photo_list"), {"image": upload("beach.jpg")}, follow=True)
    assert response.status_code == 200
    photo = Photo.objects.get(owner=user_client.user)
    assert "beach.jpg" in response.content.decode()
    thumbnail = user_client.get(reverse("gallery:photo_thumbnail", args=[photo.pk]))
    assert thumbnail.status_code == 200 and thumbnail["Cache-Control"].startswith("private")


@pytest.mark.django_db
def test_bad_upload_shows_the_message_and_saves_nothing(user_client):
    response = user_client.post(reverse("gallery:photo_list"), {"image": upload("notes.jpg", b"plain text")})
    assert response.status_code == 400
    assert errors.NOT_AN_IMAGE.format(name="notes.jpg") in response.content.decode()
    assert not Photo.objects.exists()


@pytest.mark.django_db
def test_every_image_page_is_sent_as_its_type_with_nosniff(user_client):
    stylization = make_finished_stylization(user_client.user)
    urls = [
        reverse("gallery:photo_image", args=[stylization.photo_id]),
        reverse("gallery:photo_thumbnail", args=[stylization.photo_id]),
        reverse("gallery:stylization_preview", args=[stylization.pk]),
        reverse("gallery:stylization_result", args=[stylization.pk]),
        reverse("gallery:style_image", args=[stylization.styles.get().pk]),
        reverse("gallery:style_thumbnail", args=[stylization.styles.get().pk]),
        reverse("gallery:stylization_result", args=[stylization.pk]) + "?download=1",
    ]
    for url in urls:
        assert_served_as_an_image_only(user_client.get(url))


@pytest.mark.django_db
def test_photo_delete_removes_it(user_client):
    photo = make_photo(user_client.user)
    response = user_client.post(reverse("gallery:photo_delete", args=[photo.pk]))
    assert response.status_code == 302 and not Photo.objects.exists()


# Creating ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_create_with_an_uploaded_photo_and_private_style_redirects_to_the_result(user_client, idle_queue):
    style = make_style()
    form = {
        "photo_file": upload("new.jpg"),
        "styles": [str(style.pk)],
        f"weight_{style.pk}": "0.6",
        "style_file": upload("mine.png", image_bytes((40, 40), "PNG"), "image/png"),
        "style_file_weight": "0.4",
        "size": "256",
        "preset": "draft",
        "style_strength": "2.5",
        "preserve_colors": "on",
        "seed": "42",
    }
    response = user_client.post(reverse("gallery:stylization_create"), form)
    stylization = Stylization.objects.get()
    assert response.status_code == 302 and response["Location"] == stylization.get_absolute_url()
    assert [(link.style.owner_id, link.weight) for link in stylization.style_links.select_related("style")] == [
        (None, 0.6),
        (user_client.user.pk, 0.4),
    ]
    assert stylization.params["size"] == 256 and stylization.params["preset"] == "draft"
    assert stylization.params["style_weight"] == 2.5 and stylization.params["preserve_colors"] is True
    assert stylization.params["seed"] == 42
    assert stylization.job_id in idle_queue.get_job_ids()
    assert not Style.objects.active().filter(owner=user_client.user).exists()


@pytest.mark.django_db
def test_create_without_photo_or_style_explains_what_is_missing(user_client):
    response = user_client.post(reverse("gallery:stylization_create"), {"size": "256", "preset": "draft"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose one of your photos or upload a new one." in page and errors.NO_STYLES in page


@pytest.mark.django_db(transaction=True)
def test_job_limit_is_explained_on_the_form(user_client, settings, idle_queue):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 1
    _stylization(user_client.user)
    photo, style = make_photo(user_client.user), make_style()
    form = {"photo": str(photo.pk), "styles": [str(style.pk)], "size": "256", "preset": "draft"}
    form |= {"style_strength": "1", "seed": "0"}
    response = user_client.post(reverse("gallery:stylization_create"), form)
    assert response.status_code == 400
    assert errors.JOB_LIMIT.format(limit=1) in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_queue_down_lands_on_the_failed_result_with_its_retry(user_client, settings, tmp_path):
    settings.RQ_QUEUES = {settings.RQ_QUEUE: {"URL": f"unix://{tmp_path}/no-redis-here.sock"}}
    photo, style = make_photo(user_client.user), make_style()
    form = {"photo": str(photo.pk), "styles": [str(style.pk)], "size": "256", "preset": "draft"}
    form |= {"style_strength": "1", "seed": "0"}
    response = user_client.post(reverse("gallery:stylization_create"), form, follow=True)
    stylization = Stylization.objects.get()
    assert stylization.status == "failed"
    assert response.redirect_chain[-1][0] == stylization.get_absolute_url()
    page = response.content.decode()
    assert errors.QUEUE_UNAVAILABLE.replace("'", "&#x27;") in page
    assert reverse("gallery:stylization_retry", args=[stylization.pk]) in page


# Result page -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_status_endpoint_reports_queue_position(user_client, idle_queue):
    stylization = _stylization(user_client.user)
    state = user_client.get(reverse("gallery:stylization_status", args=[stylization.pk])).json()
    assert state["status"] == "queued" and state["queue_position"] == 1
    assert state["can_cancel"] and not state["can_retry"] and state["result_url"] is None


@pytest.mark.django_db(transaction=True)
def test_cancel_and_retry_buttons(user_client, idle_queue):
    stylization = _stylization(user_client.user)
    user_client.post(reverse("gallery:stylization_cancel", args=[stylization.pk]))
    stylization.refresh_from_db()
    assert stylization.status == "cancelled"
    response = user_client.post(reverse("gallery:stylization_retry", args=[stylization.pk]), follow=True)
    stylization.refresh_from_db()
    assert stylization.status == "queued" and "Queued again." in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_failed_result_page_shows_the_message(user_client, idle_queue):
    stylization = _stylization(user_client.user)
    Stylization.objects.filter(pk=stylization.pk).update(status="failed", error_message=errors.WORKER_LOST)
    page = user_client.get(stylization.get_absolute_url()).content.decode()
    assert errors.WORKER_LOST.replace("'", "&#x27;") in page
    assert "Traceback (staff only)" not in page


# The whole path, with a real worker --------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sign_up_upload_create_and_see_the_result_in_the_gallery(client, rq_worker, empty_queue, settings):
    settings.STYLIZER_SIZES = (64, 128)
    form = {
        "username": "lin",
        "email": "lin@example.com",
        "password1": "Correct-Horse-9",
        "password2": "Correct-Horse-9",
    }
    client.post(reverse("signup"), form)
    client.post(reverse("gallery:photo_list"), {"image": upload("cat.jpg", image_bytes((96, 72)))})
    photo = Photo.objects.get(owner__username="lin")
    style = make_style()
    form = {"photo": str(photo.pk), "styles": [str(style.pk)], "size": "64", "preset": "draft"}
    form |= {"style_strength": "1", "seed": "0"}
    with transaction.atomic():  # the enqueue waits for this commit, so the job sees the shortcut
        response = client.post(reverse("gallery:stylization_create"), form)
        stylization = Stylization.objects.get()
        Stylization.objects.filter(pk=stylization.pk).update(params={**stylization.params, "steps": 3})
        assert not empty_queue.get_job_ids()
    assert response["Location"] == stylization.get_absolute_url()

    status_url = reverse("gallery:stylization_status", args=[stylization.pk])
    deadline = time.monotonic() + 90
    while (state := client.get(status_url).json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    assert state["status"] == "succeeded", state
    result = client.get(state["result_url"] + "&download=1")
    assert result["Content-Disposition"].startswith("attachment")
    with Image.open(io.BytesIO(b"".join(result.streaming_content))) as png:
        assert png.format == "PNG" and max(png.size) == 64
    gallery = client.get(reverse("gallery:stylization_list")).content.decode()
    assert stylization.get_absolute_url() in gallery and "Succeeded" in gallery

    client.force_login(make_user())
    for url in [stylization.get_absolute_url(), state["result_url"]]:
        assert client.get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_gallery_is_paginated_newest_first(user_client, settings, idle_queue):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 20
    made = [_stylization(user_client.user) for _ in range(13)]
    first_page = user_client.get(reverse("gallery:stylization_list")).content.decode()
    second_page = user_client.get(reverse("gallery:stylization_list") + "?page=2").content.decode()
    assert made[-1].get_absolute_url() in first_page and made[0].get_absolute_url() not in first_page
    assert made[0].get_absolute_url() in second_page and "Page 2 of 2" in second_page


@pytest.mark.django_db(transaction=True)
def test_delete_asks_first_then_removes_the_stylization(user_client, idle_queue):
    stylization = _stylization(user_client.user)
    url = reverse("gallery:stylization_delete", args=[stylization.pk])
    assert "Delete this stylization?" in user_client.get(url).content.decode()
    response = user_client.post(url, follow=True)
    assert "Stylization deleted." in response.content.decode()
    assert not Stylization.objects.exists()


@pytest.mark.django_db
def test_not_found_page_is_our_own(user_client):
    response = user_client.get(reverse("gallery:stylization_detail", args=["00000000-0000-0000-0000-000000000000"]))
    assert response.status_code == 404 and "belongs to someone else" in response.content.decode()
