"""Per-user quotas and limits (gallery.quotas), on the pages and in the API alike: each refusal
is a clear 4xx that stores nothing, and the ones that can be are decided before any upload
is decoded. Retry is checked as a create would be, with today's settings."""

from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from gallery import errors, images, quotas, services
from gallery.models import Photo, Style, Stylization
from stylizer.engine import StyleParams
from tests.gallery.factories import image_bytes, make_photo, make_style, make_stylization, upload

CREATE_URL = "/api/v1/stylizations/"


@pytest.fixture
def decoded():
    """Every upload the code decodes (gallery.images.clean_upload is the one place that does)."""
    with mock.patch.object(images, "clean_upload", wraps=images.clean_upload) as spy:
        yield spy


def _form(*styles: Style, **fields) -> dict:
    form = {"styles": [str(style.pk) for style in styles], "size": "256", "preset": "draft", "style_strength": "1"}
    return form | {"seed": "0"} | fields


_create = make_stylization


def _message(response) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


# Photos ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_past_the_photo_count_quota_uploads_are_refused_undecoded_on_the_page_and_in_the_api(
    settings, member, member_page, member_api, decoded, media_root_files
):
    settings.QUOTA_PHOTOS = 2
    make_photo(member), make_photo(member)
    files_before = media_root_files()
    decoded.reset_mock()

    response = member_page.post(reverse("gallery:photo_list"), {"image": upload()})
    assert response.status_code == 400
    assert errors.PHOTO_QUOTA.format(count=2) in _message(response)
    response = member_api.post("/api/v1/photos/", {"image": upload()}, format="multipart")
    assert response.status_code == 403
    assert response.json() == {"code": "quota_exceeded", "detail": errors.PHOTO_QUOTA.format(count=2), "fields": {}}
    assert decoded.call_count == 0
    assert Photo.objects.filter(owner=member).count() == 2 and media_root_files() == files_before


@pytest.mark.django_db
def test_the_storage_quota_counts_the_bytes_stored(settings, member, member_api, decoded, media_root_files):
    first = make_photo(member, size=(200, 150))
    assert first.stored_bytes == first.image.size + first.thumbnail.size > 0
    # Room for half another photo like it: the next is refused once its size is known.
    settings.QUOTA_PHOTO_MB = first.stored_bytes * 1.5 / 2**20
    files_before = media_root_files()
    response = member_api.post("/api/v1/photos/", {"image": upload(data=image_bytes((200, 150)))}, format="multipart")
    assert response.status_code == 403
    used_mb = first.stored_bytes / 2**20
    assert response.json()["detail"] == errors.PHOTO_STORAGE_QUOTA.format(
        limit_mb=settings.QUOTA_PHOTO_MB, used_mb=used_mb
    )
    assert Photo.objects.filter(owner=member).count() == 1 and media_root_files() == files_before
    # Full: refused before decoding.
    settings.QUOTA_PHOTO_MB = used_mb
    decoded.reset_mock()
    assert member_api.post("/api/v1/photos/", {"image": upload()}, format="multipart").status_code == 403
    assert decoded.call_count == 0
    # Deleting makes room again.
    services.photo_delete(photo=first)
    assert member_api.post("/api/v1/photos/", {"image": upload()}, format="multipart").status_code == 201


# The create form's uploads -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_capped_users_create_with_two_uploads_is_refused_before_decoding_them(
    settings, member, member_page, decoded, idle_queue, media_root_files
):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 1
    _create(member)
    files_before, rows_before = media_root_files(), (Photo.objects.count(), Style.objects.count())
    decoded.reset_mock()
    big = image_bytes((2000, 1500))
    form = _form(photo_file=upload("big.jpg", big), style_file=upload("mine.jpg", big))
    response = member_page.post(reverse("gallery:stylization_create"), form)
    assert response.status_code == 400 and errors.JOB_LIMIT.format(limit=1) in _message(response)
    assert decoded.call_count == 0
    assert (Photo.objects.count(), Style.objects.count()) == rows_before and media_root_files() == files_before
    assert Stylization.objects.count() == 1 and len(idle_queue.get_job_ids()) == 1


@pytest.mark.django_db(transaction=True)
def test_past_the_private_style_quota_the_form_keeps_nothing_and_decodes_nothing(
    settings, member, member_page, decoded, idle_queue, media_root_files
):
    settings.QUOTA_PRIVATE_STYLES = 1
    form = _form(photo_file=upload("a.jpg"), style_file=upload("mine.png", image_bytes((40, 40), "PNG")))
    assert member_page.post(reverse("gallery:stylization_create"), form).status_code == 302
    files_before = media_root_files()
    decoded.reset_mock()

    form = _form(photo_file=upload("b.jpg"), style_file=upload("again.png", image_bytes((40, 40), "PNG")))
    response = member_page.post(reverse("gallery:stylization_create"), form)
    assert response.status_code == 400 and errors.PRIVATE_STYLE_QUOTA.format(count=1) in _message(response)
    assert decoded.call_count == 0 and media_root_files() == files_before
    assert (Photo.objects.count(), Style.objects.filter(owner=member).count(), Stylization.objects.count()) == (1, 1, 1)


@pytest.mark.django_db(transaction=True)
def test_the_form_and_the_api_allow_the_same_number_of_styles(
    settings, member, member_page, member_api, decoded, idle_queue
):
    styles = [make_style() for _ in range(6)]
    photo = make_photo(member)
    decoded.reset_mock()
    too_many = errors.TOO_MANY_STYLES.format(limit=5)
    response = member_page.post(reverse("gallery:stylization_create"), _form(*styles, photo=str(photo.pk)))
    assert response.status_code == 400 and too_many in _message(response)
    # Five chosen plus one's own style image is six too, refused before the image is decoded.
    form = _form(*styles[:5], photo=str(photo.pk), style_file=upload("mine.jpg"))
    assert too_many in _message(member_page.post(reverse("gallery:stylization_create"), form))
    assert decoded.call_count == 0
    payload = {"photo": str(photo.pk), "styles": [{"style": str(style.pk)} for style in styles], "options": {}}
    assert member_api.post(CREATE_URL, payload, format="json").status_code == 400
    assert not Stylization.objects.exists() and idle_queue.get_job_ids() == []

    settings.STYLIZER_MAX_STYLES = 2
    assert "or up to 2 to blend them" in _message(member_page.get(reverse("gallery:stylization_create")))
    response = member_page.post(reverse("gallery:stylization_create"), _form(*styles[:3], photo=str(photo.pk)))
    assert errors.TOO_MANY_STYLES.format(limit=2) in _message(response)
    payload["styles"] = payload["styles"][:3]
    response = member_api.post(CREATE_URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"styles": [errors.TOO_MANY_STYLES.format(limit=2)]}
    assert not Stylization.objects.exists()


# Queued compute ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_queued_compute_is_capped_per_user_but_a_job_alone_always_fits(settings, member, member_api, idle_queue):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 10
    settings.QUOTA_QUEUED_WORK = 20
    photo = make_photo(member)  # 64x48: a 1024 px standard job on it is 26 megapixel-steps
    big = {"photo": str(photo.pk), "styles": [{"style": str(make_style().pk)}], "options": {"size": 1024}}
    small = {**big, "options": {"size": 256, "preset": "draft"}}
    first = member_api.post(CREATE_URL, big, format="json")
    assert first.status_code == 201, "nothing else is waiting"
    response = member_api.post(CREATE_URL, small, format="json")
    assert response.status_code == 429
    work = StyleParams(size=256, preset="draft").to_json()
    used = quotas.queued_work(StyleParams(size=1024).to_json(), (64, 48))
    assert round(used) == 26
    message = errors.QUEUED_WORK_LIMIT.format(used=used, limit=20, work=quotas.queued_work(work, (64, 48)))
    assert response.json() == {"code": "job_limit", "detail": message, "fields": {}}
    assert Stylization.objects.count() == 1 and len(idle_queue.get_job_ids()) == 1
    member_api.post(f"{CREATE_URL}{first.json()['id']}/cancel/")
    assert member_api.post(CREATE_URL, small, format="json").status_code == 201


# The API's smaller sizes -------------------------------------------------------------


@pytest.mark.django_db
def test_a_size_too_small_for_a_wide_photo_is_refused_at_create_saying_which_size_works(member, member_api):
    photo = services.photo_create(owner=member, file=upload("pano.png", image_bytes((160, 20), "PNG")))
    payload = {"photo": str(photo.pk), "styles": [{"style": str(make_style().pk)}], "options": {"size": 64}}
    response = member_api.post(CREATE_URL, payload, format="json")
    assert response.status_code == 400
    expected = errors.TOO_NARROW_AT_SIZE.format(size=64, what="the photo", side=8, min_side=16, needed=124)
    assert response.json()["fields"] == {"options": [expected]}
    payload["options"]["size"] = 124
    assert member_api.post(CREATE_URL, payload, format="json").status_code == 201


# Retry checks what create checks -----------------------------------------------------


def _failed(member, **kwargs) -> Stylization:
    stylization = _create(member, **kwargs)
    Stylization.objects.filter(pk=stylization.pk).update(status=Stylization.Status.FAILED)
    stylization.refresh_from_db()
    return stylization


def _unchanged(stylization: Stylization, queue) -> None:
    before = (stylization.status, stylization.attempt)
    stylization.refresh_from_db()
    assert (stylization.status, stylization.attempt) == before
    assert Stylization.job_id_for(stylization.pk, stylization.attempt + 1) not in queue.get_job_ids()


@pytest.mark.django_db(transaction=True)
def test_retry_of_a_stylization_whose_style_staff_withdrew_is_refused(member, member_page, member_api, idle_queue):
    style = make_style("Night Café")
    stylization = _failed(member, styles=[(style, 1.0)])
    services.style_update(style=style, is_active=False)
    message = errors.STYLE_WITHDRAWN.format(title="Night Café")

    response = member_api.post(f"{CREATE_URL}{stylization.pk}/retry/")
    assert response.status_code == 400 and response.json()["fields"] == {"styles": [message]}
    response = member_page.post(reverse("gallery:stylization_retry", args=[stylization.pk]), follow=True)
    assert message in _message(response) and "Queued again." not in _message(response)
    _unchanged(stylization, idle_queue)


@pytest.mark.django_db(transaction=True)
def test_retry_of_a_size_no_longer_offered_is_refused(settings, member, member_api, idle_queue):
    stylization = _failed(member, params=StyleParams(size=512, steps=3))
    settings.STYLIZER_SIZES = (256, 384)
    response = member_api.post(f"{CREATE_URL}{stylization.pk}/retry/")
    assert response.status_code == 400
    assert response.json()["fields"] == {"options": [errors.SIZE_NOT_OFFERED.format(size=512, limit=384)]}
    _unchanged(stylization, idle_queue)


@pytest.mark.django_db(transaction=True)
def test_retry_respects_the_job_cap_and_the_queued_compute(settings, member, member_api, idle_queue):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 1
    stylization = _failed(member)
    _create(member)
    response = member_api.post(f"{CREATE_URL}{stylization.pk}/retry/")
    assert response.status_code == 429 and response.json()["detail"] == errors.JOB_LIMIT.format(limit=1)
    _unchanged(stylization, idle_queue)

    settings.STYLIZER_MAX_ACTIVE_JOBS = 10
    settings.QUOTA_QUEUED_WORK = 0.001
    response = member_api.post(f"{CREATE_URL}{stylization.pk}/retry/")
    assert response.status_code == 429 and response.json()["code"] == "job_limit"
    assert response.json()["detail"].startswith("Your queued and running stylizations already need")
    _unchanged(stylization, idle_queue)


@pytest.mark.django_db
def test_the_services_refuse_what_no_door_should_let_through(member):
    """The checks live in the services, so the admin's actions and any other caller meet them too."""
    styles = [(make_style(), 1.0) for _ in range(6)]
    with pytest.raises(ValidationError) as caught:
        _create(member, styles=styles)
    assert caught.value.message_dict == {"styles": [errors.TOO_MANY_STYLES.format(limit=5)]}
    with pytest.raises(ValidationError) as caught:
        _create(member, params=StyleParams(size=2048))
    assert caught.value.message_dict == {"params": [errors.SIZE_NOT_OFFERED.format(size=2048, limit=1024)]}
