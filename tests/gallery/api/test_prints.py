"""stylizations/{id}/prints/: the sizes a result can be printed at, and ordering one."""

import pytest

from gallery import errors
from gallery.models import Stylization
from tests.gallery.factories import make_finished_stylization, make_stylization
from tests.gallery.prints import SIDES, workers_making

URL = "/api/v1/stylizations/"


@pytest.fixture(autouse=True)
def _print_sides(settings):
    settings.STYLIZER_PRINT_SIDES = SIDES


@pytest.mark.django_db
def test_get_lists_each_offered_size_with_whether_a_worker_makes_it(alice, as_alice):
    source = make_finished_stylization(alice)
    with workers_making(96):
        body = as_alice.get(f"{URL}{source.pk}/prints/").json()
    assert [(size["side"], size["available"], size["reason"]) for size in body["sizes"]] == [
        (96, True, ""),
        (128, False, errors.PRINT_NO_WORKER.format(side=128, others="")),
    ]
    assert all(size["work"] > 0 for size in body["sizes"]) and body["prints"] == []
    running = make_stylization(alice)
    with workers_making(96):
        sizes = as_alice.get(f"{URL}{running.pk}/prints/").json()["sizes"]
    assert sizes[0]["available"] is False and sizes[0]["reason"] == errors.PRINT_NOT_FINISHED


@pytest.mark.django_db
def test_post_queues_a_print_that_reads_like_any_stylization(alice, as_alice):
    source = make_finished_stylization(alice)
    with workers_making(96):
        response = as_alice.post(f"{URL}{source.pk}/prints/", {"side": 96}, format="json")
        assert response.status_code == 201, response.json()
        listed = as_alice.get(f"{URL}{source.pk}/prints/").json()["prints"]
    body = response.json()
    made = Stylization.objects.get(pk=body["id"])
    assert response["Location"] == f"http://testserver{URL}{made.pk}/"
    assert body["print_of"] == {"side": 96, "stylization": str(source.pk)}
    assert body["status"] == "queued" and body["can_cancel"] and body["options"]["size"] == 96
    assert listed == [str(made.pk)]
    assert as_alice.get(f"{URL}{source.pk}/").json()["print_of"] is None
    # Cancel, as any job.
    cancelled = as_alice.post(f"{URL}{made.pk}/cancel/").json()
    assert cancelled["status"] == "cancelled" and cancelled["print_of"]["stylization"] == str(source.pk)


@pytest.mark.django_db
def test_post_refuses_a_size_with_the_reason(alice, as_alice):
    source = make_finished_stylization(alice)
    with workers_making(96):
        response = as_alice.post(f"{URL}{source.pk}/prints/", {"side": 128}, format="json")
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "side": [errors.PRINT_NO_WORKER.format(side=128, others=" (96 px can be made)")]
        }
        assert as_alice.post(f"{URL}{source.pk}/prints/", {}, format="json").status_code == 400
    assert not Stylization.objects.filter(print_of=source).exists()


@pytest.mark.django_db
def test_another_users_result_is_a_404_and_the_job_cap_a_429(settings, alice, bob, as_alice, as_bob):
    source = make_finished_stylization(alice)
    with workers_making(96):
        assert as_bob.get(f"{URL}{source.pk}/prints/").status_code == 404
        assert as_bob.post(f"{URL}{source.pk}/prints/", {"side": 96}, format="json").status_code == 404
        settings.STYLIZER_MAX_ACTIVE_JOBS = 1
        make_stylization(alice)
        response = as_alice.post(f"{URL}{source.pk}/prints/", {"side": 96}, format="json")
    assert response.status_code == 429 and response.json()["code"] == "job_limit"


@pytest.mark.django_db
def test_the_schema_documents_the_prints_endpoint(as_alice):
    schema = as_alice.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = schema["paths"]["/api/v1/stylizations/{id}/prints/"]
    assert set(operations) >= {"get", "post"}
    assert "print_of" in schema["components"]["schemas"]["Stylization"]["properties"]
