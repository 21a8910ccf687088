"""stylizations/: create, list, retrieve, cancel, retry, delete, download; ownership, limits, queue down."""

import pytest
from rq.job import Job

from gallery import errors, services
from gallery.models import Stylization
from tests.gallery.factories import make_photo, make_style, make_stylization

URL = "/api/v1/stylizations/"
Status = Stylization.Status


def _payload(owner, **options):
    return {
        "photo": str(make_photo(owner).pk),
        "styles": [{"style": str(make_style().pk), "weight": 0.7}, {"style": str(make_style().pk), "weight": 0.3}],
        "options": {"size": 64, "steps": 3, **options},
    }


# Creating ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_queues_a_stylization_with_the_chosen_options(alice, as_alice):
    payload = _payload(alice, preset="draft", style_strength=2.5, preserve_colors=True, seed=None)
    response = as_alice.post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    stylization = Stylization.objects.get(pk=body["id"])
    assert stylization.owner == alice
    assert response["Location"] == f"http://testserver{URL}{stylization.pk}/"
    assert body["status"] == "queued" and body["progress"] == 0 and body["queue_position"] >= 1
    assert body["options"] == {
        "size": 64,
        "preset": "draft",
        "style_strength": 2.5,
        "preserve_colors": True,
        "seed": stylization.params["seed"],  # null asks for a random one: it is stored and shown
        "steps": 3,
    }
    assert isinstance(body["options"]["seed"], int)
    assert [style["weight"] for style in body["styles"]] == [0.7, 0.3]
    assert stylization.params["style_weight"] == 2.5 and stylization.params["style_blend"] == [0.7, 0.3]
    assert body["result_url"] is None and body["can_cancel"] and not body["can_retry"]


@pytest.mark.django_db
def test_options_default_to_the_engines_defaults(alice, as_alice):
    payload = _payload(alice)
    del payload["options"]
    body = as_alice.post(URL, payload, format="json").json()
    seed = body["options"].pop("seed")
    assert body["options"] == {
        "size": 512,
        "preset": "standard",
        "style_strength": 1.0,
        "preserve_colors": False,
        "steps": None,
    }
    assert isinstance(seed, int) and 0 <= seed < services.RANDOM_SEED_LIMIT  # random, stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"photo": None}, {"photo": ["This field may not be null."]}),
        ({"photo": "not-a-uuid"}, {"photo": ["Must be a valid UUID."]}),
        ({"styles": []}, {"styles": [errors.NO_STYLES]}),  # allowed only with a remix as the style
        ({"styles": [{"weight": 1}]}, {"styles": {"0": {"style": ["This field is required."]}}}),
        ({"options": {"size": 100000}}, {"options": {"size": ["Ensure this value is less than or equal to 1024."]}}),
        ({"options": {"preset": "ultra"}}, {"options": {"preset": ['"ultra" is not a valid choice.']}}),
        ({"options": {"seed": -1}}, {"options": {"seed": ["Ensure this value is greater than or equal to 0."]}}),
    ],
)
def test_bad_payloads_are_400_with_field_messages(alice, as_alice, change, fields):
    response = as_alice.post(URL, {**_payload(alice), **change}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"] == fields
    assert not Stylization.objects.exists()


@pytest.mark.django_db
def test_bad_weight_is_reported_on_its_style(alice, as_alice):
    payload = _payload(alice)
    payload["styles"][1]["weight"] = 0
    body = as_alice.post(URL, payload, format="json").json()
    assert body["fields"] == {"styles": {"1": {"weight": ["Ensure this value is greater than or equal to 0.01."]}}}
    assert body["detail"] == "styles.1.weight: Ensure this value is greater than or equal to 0.01."


@pytest.mark.django_db
def test_someone_elses_photo_or_private_style_is_not_available(alice, bob, as_alice):
    payload = {**_payload(alice), "photo": str(make_photo(bob).pk)}
    assert as_alice.post(URL, payload, format="json").json()["fields"] == {"photo": [errors.PHOTO_NOT_AVAILABLE]}
    payload = _payload(alice)
    payload["styles"] = [{"style": str(make_style(owner=bob).pk)}]
    body = as_alice.post(URL, payload, format="json").json()
    assert body["fields"] == {"styles": {"0": {"style": [errors.STYLE_NOT_AVAILABLE]}}}


@pytest.mark.django_db
def test_a_service_refusal_comes_back_as_a_field_error(alice, as_alice):
    style = str(make_style().pk)
    payload = {**_payload(alice), "styles": [{"style": style}, {"style": style}]}
    response = as_alice.post(URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"styles": ["Each style can be chosen once."]}


@pytest.mark.django_db
def test_malformed_json_is_a_400(as_alice):
    response = as_alice.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.django_db
def test_job_cap_is_429_with_a_clear_message(settings, alice, as_alice):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 1
    assert as_alice.post(URL, _payload(alice), format="json").status_code == 201
    response = as_alice.post(URL, _payload(alice), format="json")
    assert response.status_code == 429
    assert response.json() == {"code": "job_limit", "detail": errors.JOB_LIMIT.format(limit=1), "fields": {}}
    assert Stylization.objects.count() == 1


@pytest.mark.django_db
def test_creating_too_fast_is_throttled_with_retry_after(settings, alice, as_alice):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "stylizations": (2, 60)}
    settings.STYLIZER_MAX_ACTIVE_JOBS = 10
    for _ in range(2):
        assert as_alice.post(URL, _payload(alice), format="json").status_code == 201
    response = as_alice.post(URL, _payload(alice), format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    # The window slides: the two count fully for the rest of this minute, then fade over the next.
    assert 0 < int(response["Retry-After"]) <= 90
    assert as_alice.get(URL).status_code == 200, "reads are not throttled"


@pytest.mark.django_db
def test_uploads_and_token_requests_are_throttled_too(settings, alice, as_alice, anon):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "uploads": (1, 3600), "logins": (1, 3600)}
    assert as_alice.post("/api/v1/photos/", {}, format="multipart").status_code == 400
    assert as_alice.post("/api/v1/photos/", {}, format="multipart").status_code == 429
    # Log-in counts failures per address: the first wrong password is an ordinary error, then 429.
    assert anon.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"}).status_code == 400
    response = anon.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


@pytest.mark.django_db(transaction=True)
def test_queue_down_is_503_and_leaves_a_failed_row_that_retry_recovers(
    settings, tmp_path, alice, as_alice, empty_queue
):
    working_queues = settings.RQ_QUEUES
    settings.RQ_QUEUES = {settings.RQ_QUEUE: {"URL": f"unix://{tmp_path}/no-redis-here.sock"}}
    response = as_alice.post(URL, _payload(alice), format="json")
    assert response.status_code == 503
    assert not Stylization.objects.filter(status=Status.QUEUED).exists(), "no orphan queued row"
    stylization = Stylization.objects.get()
    assert response.json() == {
        "code": "queue_unavailable",
        "detail": errors.QUEUE_UNAVAILABLE,
        "fields": {},
        "stylization": str(stylization.pk),  # the failed row to retry
    }
    assert int(response["Retry-After"]) > 0
    assert (stylization.status, stylization.error_message) == (Status.FAILED, errors.QUEUE_UNAVAILABLE)

    listed = as_alice.get(f"{URL}?status=failed").json()["results"]
    assert [item["id"] for item in listed] == [str(stylization.pk)] and listed[0]["can_retry"]
    assert as_alice.post(f"{URL}{stylization.pk}/retry/").status_code == 503, "still down: still failed"
    assert Stylization.objects.get().status == Status.FAILED

    settings.RQ_QUEUES = working_queues
    response = as_alice.post(f"{URL}{stylization.pk}/retry/")
    assert response.status_code == 200
    assert response.json()["status"] == "queued" and response.json()["error_message"] == ""
    stylization.refresh_from_db()
    assert Job.exists(stylization.job_id, connection=empty_queue.connection)


# Reading -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_is_mine_newest_first_and_filters_by_status(alice, bob, as_alice):
    done = make_stylization(alice, status=Status.SUCCEEDED)
    queued = make_stylization(alice)
    make_stylization(bob)
    body = as_alice.get(URL).json()
    assert [item["id"] for item in body["results"]] == [str(queued.pk), str(done.pk)]
    succeeded = as_alice.get(f"{URL}?status=succeeded").json()
    assert [item["id"] for item in succeeded["results"]] == [str(done.pk)]
    bad = as_alice.get(f"{URL}?status=sleeping")
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"status"}


@pytest.mark.django_db
def test_a_finished_stylization_has_progress_timings_and_image_urls(alice, as_alice):
    stylization = make_stylization(alice, status=Status.SUCCEEDED)
    body = as_alice.get(f"{URL}{stylization.pk}/").json()
    assert body["progress"] == 100 and body["queue_position"] is None and body["run_seconds"] == 1.5
    assert body["started_at"] and body["finished_at"]
    assert body["result_url"] == f"http://testserver{URL}{stylization.pk}/result/"
    result = as_alice.get(body["result_url"], HTTP_ACCEPT="image/png")
    assert result.status_code == 200 and result["Content-Type"] == "image/png"
    assert result.getvalue().startswith(b"\x89PNG")
    download = as_alice.get(body["result_url"] + "?download=1")
    assert download["Content-Disposition"].startswith("attachment")
    assert as_alice.get(body["preview_url"]).status_code == 200


@pytest.mark.django_db
def test_progress_is_a_percentage_of_the_steps(alice, as_alice):
    stylization = make_stylization(alice, status=Status.FAILED, step=30, total_steps=120, error_message="Boom.")
    body = as_alice.get(f"{URL}{stylization.pk}/").json()
    assert (body["progress"], body["error_message"], body["can_retry"]) == (25, "Boom.", True)


@pytest.mark.django_db
def test_no_result_yet_is_404(alice, as_alice):
    stylization = make_stylization(alice)
    assert as_alice.get(f"{URL}{stylization.pk}/result/").status_code == 404


# Acting ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_cancel_then_retry_then_delete(alice, as_alice, empty_queue):
    stylization = make_stylization(alice)
    cancelled = as_alice.post(f"{URL}{stylization.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = as_alice.post(f"{URL}{stylization.pk}/cancel/")
    assert again.status_code == 409
    assert again.json() == {"code": "invalid_state", "detail": errors.CANNOT_CANCEL, "fields": {}}

    retried = as_alice.post(f"{URL}{stylization.pk}/retry/")
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert as_alice.post(f"{URL}{stylization.pk}/retry/").json()["detail"] == errors.CANNOT_RETRY

    assert as_alice.delete(f"{URL}{stylization.pk}/").status_code == 204
    assert not Stylization.objects.filter(pk=stylization.pk).exists()
