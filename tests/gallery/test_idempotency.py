"""One request, one job: the API's `Idempotency-Key` header and the create form's token.

A client that sends its POST again (after a timeout, a dropped connection) and a user
who double-clicks "Paint it" get the first request's stylization, and only one job is
queued, also when the two requests race each other.
"""

import threading

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from gallery import errors, services
from gallery.models import Photo, Style, Stylization
from tests.gallery.factories import image_bytes, make_photo, make_style, make_user, upload

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/stylizations/"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _payload(photo, style, **options) -> dict:
    return {"photo": str(photo.pk), "styles": [{"style": str(style.pk)}], "options": {"size": 64, **options}}


def _form(style, **fields) -> dict:
    form = {"styles": [str(style.pk)], "size": "256", "preset": "draft", "style_strength": "1", "seed": "7"}
    return form | fields


def _race(*requests) -> list:
    """Run the requests at the same moment, each in its own thread (and database connection)."""
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(index, request):
        barrier.wait()
        try:
            results[index] = request()
        finally:
            from django.db import connection

            connection.close()

    threads = [threading.Thread(target=run, args=(index, request)) for index, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# The API header ----------------------------------------------------------------------


def test_the_same_key_twice_gives_the_first_stylization_and_one_job(idle_queue):
    user = make_user()
    payload = _payload(make_photo(user), make_style())
    first = _api(user).post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="order-42")
    again = _api(user).post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="order-42")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"] and again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Stylization.objects.count() == 1
    assert idle_queue.get_job_ids() == [Stylization.objects.get().job_id]


def test_without_a_key_or_with_another_key_each_request_is_new(settings, idle_queue):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 4
    user = make_user()
    payload = _payload(make_photo(user), make_style())
    ids = {
        _api(user).post(URL, payload, format="json").json()["id"],
        _api(user).post(URL, payload, format="json").json()["id"],
        _api(user).post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="a").json()["id"],
        _api(user).post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="b").json()["id"],
    }
    assert len(ids) == 4 and len(idle_queue.get_job_ids()) == 4


def test_keys_belong_to_their_user(idle_queue):
    alice, bob = make_user(), make_user()
    style = make_style()
    for user in (alice, bob):
        response = _api(user).post(URL, _payload(make_photo(user), style), format="json", HTTP_IDEMPOTENCY_KEY="k1")
        assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Stylization.objects.filter(idempotency_key="k1").count() == 2


def test_a_key_reused_for_a_different_request_is_refused(idle_queue):
    user = make_user()
    photo, style = make_photo(user), make_style()
    _api(user).post(URL, _payload(photo, style), format="json", HTTP_IDEMPOTENCY_KEY="k")
    response = _api(user).post(URL, _payload(photo, style, size=128), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 422
    assert response.json() == {"code": "idempotency_key_reused", "detail": errors.IDEMPOTENCY_KEY_REUSED, "fields": {}}
    assert Stylization.objects.count() == 1


@pytest.mark.parametrize("key", ["x" * 256, "tab\there", "ключ"], ids=["too-long", "control", "non-ascii"])
def test_a_malformed_key_is_a_400_naming_the_header(key, idle_queue):
    user = make_user()
    response = _api(user).post(URL, _payload(make_photo(user), make_style()), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["fields"] == {"Idempotency-Key": [errors.BAD_IDEMPOTENCY_KEY.format(limit=255)]}
    assert not Stylization.objects.exists()


def test_a_replay_is_answered_even_at_the_job_limit(settings, idle_queue):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 1
    user = make_user()
    payload = _payload(make_photo(user), make_style())
    first = _api(user).post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="only")
    again = _api(user).post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="only")
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]


def test_two_racing_requests_with_one_key_make_one_job(idle_queue):
    user = make_user()
    payload = _payload(make_photo(user), make_style())
    answers = _race(
        *[lambda: _api(user).post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="race") for _ in range(2)]
    )
    assert [answer.status_code for answer in answers] == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert sorted("Idempotent-Replayed" in answer for answer in answers) == [False, True]
    assert Stylization.objects.count() == 1 and len(idle_queue.get_job_ids()) == 1


# The create form ---------------------------------------------------------------------


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_each_rendered_form_carries_its_own_key():
    client = _signed_in(make_user())
    keys = [client.get(reverse("gallery:stylization_create")).context["form"]["idempotency_key"].value() for _ in "ab"]
    assert all(len(key) == 32 for key in keys) and keys[0] != keys[1]


def test_submitting_the_same_form_twice_makes_one_stylization_and_keeps_one_upload(idle_queue):
    user = make_user()
    client = _signed_in(user)
    style = make_style()
    responses = [
        client.post(reverse("gallery:stylization_create"), _form(style, idempotency_key="f1", photo_file=upload()))
        for _ in range(2)
    ]
    stylization = Stylization.objects.get()
    assert [response["Location"] for response in responses] == [stylization.get_absolute_url()] * 2
    assert Photo.objects.filter(owner=user).count() == 1
    assert idle_queue.get_job_ids() == [stylization.job_id]


def test_a_double_click_race_makes_one_stylization_and_keeps_no_second_upload(idle_queue, media_root_files):
    user = make_user()
    style = make_style()

    def submit():
        form = _form(
            style,
            idempotency_key="dbl",
            photo_file=upload(),
            style_file=upload("mine.png", image_bytes((40, 40), "PNG"), "image/png"),
        )
        return _signed_in(user).post(reverse("gallery:stylization_create"), form)

    answers = _race(submit, submit)
    stylization = Stylization.objects.get()
    assert [answer["Location"] for answer in answers] == [stylization.get_absolute_url()] * 2
    assert Photo.objects.filter(owner=user).count() == 1 and Style.objects.filter(owner=user).count() == 1
    kept = {stylization.photo.image.name, stylization.photo.thumbnail.name}
    styles = [style, *Style.objects.filter(owner=user)]
    kept |= {name for style in styles for name in (style.image.name, style.thumbnail.name)}
    assert set(media_root_files()) == kept, "the losing submission's uploads are gone"
    assert idle_queue.get_job_ids() == [stylization.job_id]


def test_the_service_replays_and_says_so(idle_queue):
    user = make_user()
    photo, style = make_photo(user), make_style()
    first = services.stylization_create(owner=user, photo=photo, styles=[(style, 1.0)], idempotency_key="svc")
    again = services.stylization_create(owner=user, photo=photo, styles=[(style, 1.0)], idempotency_key="svc")
    assert (first.replayed, again.replayed, again.pk) == (False, True, first.pk)
