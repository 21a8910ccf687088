"""Downloads are named after the photo and the paintings, safely; the result page has the before/after pair."""

import pytest
from django.test import Client
from django.urls import reverse

from gallery import services
from stylizer.engine import StyleParams
from tests.gallery.api.conftest import token_client
from tests.gallery.factories import make_finished_stylization, make_style, make_user

pytestmark = pytest.mark.django_db


def _finished(owner, photo_name: str, *titles: str):
    stylization = make_finished_stylization(owner)
    stylization.photo.original_name = photo_name
    stylization.photo.save()
    stylization.style_links.all().delete()
    for position, title in enumerate(titles):
        stylization.style_links.create(style=make_style(title), position=position)
    return stylization


def _disposition(response) -> str:
    assert response.status_code == 200
    return response["Content-Disposition"]


def test_the_download_is_named_after_the_photo_and_the_paintings():
    owner = make_user()
    stylization = _finished(owner, "Holiday in Rome.JPG", "The Starry Night", "Wheat Field with Cypresses")
    page = Client()
    page.force_login(owner)
    url = reverse("gallery:stylization_result", args=[stylization.pk])
    expected = 'attachment; filename="holiday-in-rome--the-starry-night-wheat-field-with-cypresses.png"'
    assert _disposition(page.get(url + "?download=1")) == expected
    api = token_client(owner)
    assert _disposition(api.get(f"/api/v1/stylizations/{stylization.pk}/result/?download=1")) == expected
    # Without ?download the browser shows it inline, as before.
    assert "attachment" not in page.get(url).get("Content-Disposition", "")


@pytest.mark.parametrize(
    ("photo_name", "title", "expected"),
    [
        ('../../etc/pass"wd\r\n.jpg', "Crème brûlée; <script>", "passwd--creme-brulee-script.png"),
        ("照片.jpg", "日本", "photo--stylized.png"),  # nothing ASCII left: the generic words
        ("", "A" * 300, f"photo--{'a' * 40}.png"),
    ],
)
def test_names_are_safe_whatever_the_photo_and_painting_are_called(photo_name, title, expected):
    owner = make_user()
    stylization = _finished(owner, photo_name, title)
    page = Client()
    page.force_login(owner)
    response = page.get(reverse("gallery:stylization_result", args=[stylization.pk]) + "?download=1")
    assert _disposition(response) == f'attachment; filename="{expected}"'


def test_a_shared_download_leaves_out_the_photos_name_and_private_titles():
    owner = make_user()
    stylization = _finished(owner, "my-kids-at-school.jpg", "The Starry Night")
    stylization.style_links.create(style=make_style("secret sketch", owner=owner), position=1)
    share = services.share_create(stylization=stylization)
    response = Client().get(reverse("gallery:share_result", args=[share.token]) + "?download=1")
    assert _disposition(response) == 'attachment; filename="shared--the-starry-night-own-style.png"'


def test_the_result_page_shows_the_photo_and_the_result_for_the_slider():
    owner = make_user()
    stylization = make_finished_stylization(owner)
    page = Client()
    page.force_login(owner)
    text = page.get(stylization.get_absolute_url()).content.decode()
    assert f'src="{reverse("gallery:photo_image", args=[stylization.photo_id])}"' in text
    assert "data-before-after-section" in text and "data-before-after-section hidden" not in text
    assert "gallery/compare.js" in text
    # A job still running has no pair to compare yet.
    running = services.stylization_create(
        owner=owner,
        photo=stylization.photo,
        styles=[(make_style(), 1.0)],
        params=StyleParams(size=64, steps=3),
    )
    assert "data-before-after-section hidden" in page.get(running.get_absolute_url()).content.decode()
