"""The create page's answers a user must be able to read, and the seed each stylization
gets: random unless chosen, stored, shown, and kept by a retry (pages and API alike)."""

import html
import re

import pytest
from django.urls import reverse

from gallery import errors, services
from gallery.models import Stylization
from tests.gallery.api.conftest import token_client
from tests.gallery.factories import image_bytes, make_photo, make_style, make_user, upload

pytestmark = pytest.mark.django_db(transaction=True)

CREATE = reverse("gallery:stylization_create")
TOO_HIGH = "Ensure this value is less than or equal to 100.0."


def _form(user, **changes) -> dict:
    style = changes.pop("style", None) or make_style()
    form = {"photo": str(make_photo(user).pk), "styles": [str(style.pk)], "size": "256", "preset": "draft"}
    return form | {"style_strength": "1", "seed": ""} | changes


def _refused(client, form) -> str:
    """The page answering a refused form; nothing was created."""
    response = client.post(CREATE, form)
    assert response.status_code == 400
    assert not Stylization.objects.exists()
    return html.unescape(response.content.decode())


# Every refusal shows its reason ------------------------------------------------------


def test_a_bad_share_of_a_chosen_style_is_shown_on_that_style(user_client, idle_queue):
    style = make_style("Haystacks")
    page = _refused(user_client, _form(user_client.user, style=style, **{f"weight_{style.pk}": "500"}))
    card = page.split('value="' + str(style.pk) + '"', 1)[1].split("data-style-pick", 1)[0]
    assert TOO_HIGH in card


def test_a_bad_share_of_a_style_not_chosen_is_ignored(user_client, idle_queue):
    other = make_style()
    response = user_client.post(CREATE, _form(user_client.user, **{f"weight_{other.pk}": "5"}))
    assert response.status_code == 302 and Stylization.objects.count() == 1


def test_a_bad_share_of_your_own_style_image_is_shown_by_its_slider(user_client, idle_queue):
    form = _form(user_client.user) | {
        "style_file": upload("mine.png", image_bytes((40, 40), "PNG"), "image/png"),
        "style_file_weight": "700",
    }
    page = _refused(user_client, form)
    assert re.search(r'name="style_file_weight"[^>]*>\s*<p class="error">' + re.escape(TOO_HIGH), page)


def test_a_damaged_form_token_says_to_reload(user_client, idle_queue):
    page = _refused(user_client, _form(user_client.user, idempotency_key="é" * 3))
    assert errors.BAD_IDEMPOTENCY_KEY.format(limit=services.IDEMPOTENCY_KEY_MAX) in page
    assert "Reload the page and send the form again." in page


def test_a_form_token_too_long_says_to_reload(user_client, idle_queue):
    page = _refused(user_client, _form(user_client.user, idempotency_key="k" * 300))
    assert "Ensure this value has at most 255 characters (it has 300)." in page
    assert "Reload the page and send the form again." in page


# Seeds -------------------------------------------------------------------------------


def test_an_empty_seed_gets_a_random_one_stored_shown_and_kept_by_retry(user_client, idle_queue):
    for _ in range(2):
        assert user_client.post(CREATE, _form(user_client.user)).status_code == 302
    first, second = Stylization.objects.order_by("created_at")
    seeds = [first.params["seed"], second.params["seed"]]
    assert all(isinstance(seed, int) and 0 <= seed < services.RANDOM_SEED_LIMIT for seed in seeds)
    assert seeds[0] != seeds[1]  # 1 chance in 2^31 of a false alarm

    page = user_client.get(first.get_absolute_url()).content.decode()
    assert f"<dt>Seed</dt><dd>{seeds[0]}</dd>" in page

    services.stylization_cancel(stylization=first)
    retried = services.stylization_retry(stylization=first)
    assert retried.attempt == 2 and retried.params["seed"] == seeds[0]


def test_a_chosen_seed_is_kept(user_client, idle_queue):
    assert user_client.post(CREATE, _form(user_client.user, seed="1234")).status_code == 302
    assert Stylization.objects.get().params["seed"] == 1234


def test_the_api_picks_a_random_seed_for_null_and_a_replay_returns_the_first_row(idle_queue):
    user = make_user()
    api = token_client(user)
    payload = {"photo": str(make_photo(user).pk), "styles": [{"style": str(make_style().pk)}]}
    payload["options"] = {"size": 64, "steps": 3, "seed": None}
    first = api.post("/api/v1/stylizations/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    seed = first.json()["options"]["seed"]
    assert isinstance(seed, int) and Stylization.objects.get().params["seed"] == seed

    again = api.post("/api/v1/stylizations/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and again.json()["options"]["seed"] == seed

    payload["options"]["seed"] = seed + 1  # a different picture: not the same request
    reused = api.post("/api/v1/stylizations/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
