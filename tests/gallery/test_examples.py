"""The landing page's examples: made by the engine from the starter styles (manage.py
make_examples), shown signed out as before/after pairs, public only while their style is."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image

from gallery import services
from gallery.models import Example, Style
from tests.gallery.responses import assert_served_as_an_image_only

pytestmark = pytest.mark.django_db

TINY = ["--size", "32", "--steps", "2"]


def _make(*args: str) -> str:
    out = io.StringIO()
    call_command("make_examples", *TINY, *args, stdout=out)
    return out.getvalue()


def _image(client: Client, url: str) -> Image.Image:
    assert_served_as_an_image_only(client.get(url))
    return Image.open(io.BytesIO(b"".join(client.get(url).streaming_content)))


def test_the_command_paints_the_starter_photo_in_the_first_catalogue_styles():
    starters = list(Style.objects.active()[:2])
    assert [style.artist for style in starters] == ["nstsite (procedural)"] * 2  # the migration's starter styles
    _make("--limit", "2")
    made = list(Example.objects.order_by("style__position"))
    assert [example.style for example in made] == starters
    for example in made:
        assert (example.width, example.height) == (32, 24)
        assert example.params["size"] == 32 and example.params["steps"] == 2 and example.run_seconds > 0
        before = _image(Client(), reverse("gallery:example_before", args=[example.pk]))
        after = _image(Client(), reverse("gallery:example_after", args=[example.pk]))
        assert before.size == after.size == (32, 24)
        # The engine painted it: not the photo again.
        assert before.tobytes() != after.tobytes()


def test_existing_examples_are_kept_unless_forced_and_replaced_whole(django_capture_on_commit_callbacks):
    _make("--limit", "1")
    first = Example.objects.get()
    assert "already made" in _make("--limit", "1")
    assert Example.objects.get().pk == first.pk
    with django_capture_on_commit_callbacks(execute=True):
        _make("--limit", "1", "--force")
    again = Example.objects.get()
    assert again.pk != first.pk
    assert not default_storage.exists(first.photo.name) and not default_storage.exists(first.result.name)


def test_the_landing_page_shows_the_examples_as_before_after_pairs():
    assert "data-example" not in Client().get("/").content.decode()  # none made yet: the plain hero
    _make("--limit", "2")
    text = Client().get("/").content.decode()
    for example in Example.objects.all():
        assert reverse("gallery:example_before", args=[example.pk]) in text
        assert reverse("gallery:example_after", args=[example.pk]) in text
        assert example.style.title in text
    assert "gallery/compare.js" in text and text.count("data-before-after-panel") == 3  # the hero's and each card


def test_an_example_is_public_only_while_its_style_is_in_the_catalogue():
    _make("--limit", "1")
    example = Example.objects.get()
    url = reverse("gallery:example_after", args=[example.pk])
    assert Client().get(url).status_code == 200
    services.style_update(style=example.style, is_active=False)
    assert Client().get(url).status_code == 404
    assert example.style.title not in Client().get("/").content.decode()
