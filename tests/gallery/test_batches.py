"""One photo in many styles ("one picture per style"): one request, N stylizations shown as a
set with a contact sheet; the job cap and quotas count each; all or nothing."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from gallery import errors, services
from gallery.models import Batch, Photo, Stylization
from stylizer.engine.params import StyleParams
from tests.gallery.factories import (
    image_bytes,
    make_finished_stylization,
    make_photo,
    make_style,
    make_stylization,
    make_user,
    upload,
)

pytestmark = pytest.mark.django_db

CREATE = reverse("gallery:stylization_create")
OPTIONS = {"size": "256", "preset": "draft", "style_strength": "1"}


@pytest.fixture
def page():
    client = Client()
    client.user = make_user()
    client.force_login(client.user)
    return client


def test_three_styles_one_each_make_three_stylizations_in_one_set(page):
    photo, styles = make_photo(page.user), [make_style(f"Painting {n}") for n in range(3)]
    form = {**OPTIONS, "photo": photo.pk, "styles": [style.pk for style in styles], "mode": "each"}
    response = page.post(CREATE, form)
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    made = list(Stylization.objects.filter(batch=batch).order_by("created_at"))
    assert [[link.style for link in stylization.style_links.all()] for stylization in made] == [[s] for s in styles]
    assert {stylization.photo for stylization in made} == {photo}
    assert len({stylization.params["seed"] for stylization in made}) == 1  # they differ by style alone

    text = page.get(batch.get_absolute_url()).content.decode()
    assert "One photo in 3 styles" in text and all(s.get_absolute_url() in text for s in made)
    assert "the same photo in other styles" in page.get(made[0].get_absolute_url()).content.decode()


def test_blend_is_still_one_stylization(page):
    photo, styles = make_photo(page.user), [make_style(), make_style()]
    page.post(CREATE, {**OPTIONS, "photo": photo.pk, "styles": [style.pk for style in styles]})
    stylization = Stylization.objects.get()
    assert stylization.batch is None and stylization.style_links.count() == 2


def test_the_job_cap_counts_each_and_a_refused_set_keeps_nothing(page, settings):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 3
    make_stylization(page.user)  # one already queued: two more fit, not three
    styles = [make_style() for _ in range(3)]
    form = {
        **OPTIONS,
        "photo_file": upload(data=image_bytes((80, 60))),
        "styles": [s.pk for s in styles],
        "mode": "each",
    }
    response = page.post(CREATE, form)
    assert response.status_code == 400
    assert errors.JOB_LIMIT.format(limit=3) in response.content.decode()
    assert not Batch.objects.exists() and Stylization.objects.count() == 1
    assert Photo.objects.filter(owner=page.user).count() == 1  # the uploaded photo was not kept either
    form["styles"] = [s.pk for s in styles[:2]]
    form["photo_file"] = upload(data=image_bytes((80, 60)))
    assert page.post(CREATE, form).status_code == 302
    assert Stylization.objects.filter(batch__isnull=False).count() == 2


def test_own_style_images_can_only_be_blended(page):
    form = {
        **OPTIONS,
        "photo": make_photo(page.user).pk,
        "styles": [make_style().pk],
        "style_file": upload("mine.png", image_bytes((48, 48), "PNG"), "image/png"),
        "mode": "each",
    }
    response = page.post(CREATE, form)
    assert response.status_code == 400 and "can only be blended" in response.content.decode()
    assert not Stylization.objects.exists()


def test_the_same_form_sent_twice_makes_one_set(page):
    photo, styles = make_photo(page.user), [make_style(), make_style()]
    form = {**OPTIONS, "photo": photo.pk, "styles": [s.pk for s in styles], "mode": "each", "idempotency_key": "k1"}
    first, second = page.post(CREATE, form), page.post(CREATE, form)
    assert first["Location"] == second["Location"]
    assert Batch.objects.count() == 1 and Stylization.objects.count() == 2


def test_the_contact_sheet_shows_the_photo_and_each_finished_result(page):
    done = make_finished_stylization(page.user)
    batch = services.batch_create(
        owner=page.user, photo=done.photo, styles=[make_style()], params=StyleParams(size=64, steps=3)
    )
    Stylization.objects.filter(pk=done.pk).update(batch=batch)
    url = reverse("gallery:batch_contact_sheet", args=[batch.pk])
    assert_served_as_an_image_only_jpeg(page.get(url))
    sheet = Image.open(io.BytesIO(page.get(url).content))
    assert sheet.width > sheet.height  # three tiles in a row: the photo, the finished one, the queued one
    assert 'filename="contact-sheet.jpg"' in page.get(url + "?download=1")["Content-Disposition"]


def assert_served_as_an_image_only_jpeg(response) -> None:
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response.content.startswith(b"\xff\xd8\xff")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def test_someone_elses_set_is_404(page):
    other = make_user()
    batch = services.batch_create(
        owner=other, photo=make_photo(other), styles=[make_style()], params=StyleParams(size=64, steps=3)
    )
    for name in ("gallery:batch_detail", "gallery:batch_contact_sheet"):
        assert page.get(reverse(name, args=[batch.pk])).status_code == 404
