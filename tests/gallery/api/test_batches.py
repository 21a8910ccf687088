"""batches/: one photo in many styles through the API."""

import pytest

from gallery.models import Batch, Stylization
from tests.gallery.factories import make_photo, make_style, make_stylization

pytestmark = pytest.mark.django_db

URL = "/api/v1/batches/"
TINY = {"size": 64, "preset": "draft"}


def _body(owner, count=3):
    return {"photo": str(make_photo(owner).pk), "styles": [str(make_style().pk) for _ in range(count)], "options": TINY}


def test_a_batch_of_three_styles_makes_three_jobs(as_alice, alice):
    body = _body(alice)
    response = as_alice.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    batch = response.json()
    assert response["Location"].endswith(f"{URL}{batch['id']}/")
    assert [s["styles"][0]["id"] for s in batch["stylizations"]] == body["styles"]
    assert {s["status"] for s in batch["stylizations"]} == {"queued"}
    assert Stylization.objects.filter(owner=alice, batch_id=batch["id"]).count() == 3
    assert as_alice.get(f"{URL}{batch['id']}/").json()["stylizations"] == batch["stylizations"]
    assert as_alice.get(URL).json()["results"][0]["id"] == batch["id"]
    sheet = as_alice.get(batch["contact_sheet_url"])
    assert sheet.status_code == 200 and sheet["Content-Type"] == "image/jpeg"


def test_the_job_cap_counts_each_stylization_of_a_batch(as_alice, alice, settings):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 3
    make_stylization(alice)
    response = as_alice.post(URL, _body(alice, 3), format="json")
    assert response.status_code == 429 and response.json()["code"] == "job_limit"
    assert not Batch.objects.exists() and Stylization.objects.count() == 1


def test_a_repeated_request_with_its_idempotency_key_makes_one_batch(as_alice, alice):
    body = _body(alice, 2)
    first = as_alice.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    second = as_alice.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    assert first.json()["id"] == second.json()["id"]
    assert Stylization.objects.count() == 2


@pytest.mark.parametrize("change", [{"styles": []}, {"photo": "not-a-uuid"}, {"styles": ["not-a-uuid"]}])
def test_bad_batches_are_400(as_alice, alice, change):
    response = as_alice.post(URL, {**_body(alice, 1), **change}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert not Stylization.objects.exists()


def test_someone_elses_photo_style_and_batch_are_not_available(as_alice, alice, as_bob, bob):
    response = as_bob.post(URL, {**_body(bob, 1), "photo": str(make_photo(alice).pk)}, format="json")
    assert response.status_code == 400 and "photo" in response.json()["fields"]
    private = make_style(owner=alice)
    response = as_bob.post(URL, {**_body(bob, 1), "styles": [str(private.pk)]}, format="json")
    assert response.status_code == 400 and "styles" in response.json()["fields"]
    batch = as_alice.post(URL, _body(alice, 1), format="json").json()
    for url in (f"{URL}{batch['id']}/", f"{URL}{batch['id']}/contact-sheet/"):
        assert as_bob.get(url).status_code == 404
