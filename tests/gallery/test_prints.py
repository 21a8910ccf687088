"""Prints on the pages and in the services: which sizes are offered (only those a live worker
makes), the print as a job of its own (its queue, the job cap, its name, retry), and what
deleting the result or the print does. A real worker runs them in tests/stylizer/test_prints.py."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rq import Queue
from rq.job import Job

from gallery import errors, services
from gallery.downloads import download_name
from gallery.models import Stylization
from gallery.services.prints import print_create
from gallery.services.queue import print_queue_name
from tests.gallery.factories import make_finished_stylization, make_photo, make_stylization, make_user
from tests.gallery.prints import SIDES, workers_making

Status = Stylization.Status


@pytest.fixture(autouse=True)
def _print_sides(settings):
    settings.STYLIZER_PRINT_SIDES = SIDES


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_result_page_offers_only_the_sizes_a_live_worker_makes():
    user = make_user()
    source = make_finished_stylization(user)
    page = _signed_in(user)
    with workers_making(96):
        html = page.get(source.get_absolute_url()).content.decode()
    assert "Make a 96 px print" in html and "Make a 128 px print" not in html
    assert errors.PRINT_NO_WORKER.format(side=128, others="") in html
    # No worker making prints: nothing to order, each size says why.
    html = page.get(source.get_absolute_url()).content.decode()
    assert "px print</button>" not in html and errors.PRINT_NO_WORKER.format(side=96, others="") in html


@pytest.mark.django_db(transaction=True)
def test_a_print_is_a_job_of_its_own_continuing_the_result_on_its_sizes_queue(empty_queue):
    user = make_user()
    source = make_finished_stylization(user)
    with workers_making(96):
        response = _signed_in(user).post(
            reverse("gallery:stylization_print", args=[source.pk]), {"side": "96", "token": "t1"}
        )
    made = Stylization.objects.get(print_of=source)
    assert response.status_code == 302 and response["Location"] == made.get_absolute_url()
    assert made.status == Status.QUEUED and made.owner == user and made.photo == source.photo
    assert made.print_side == 96 and made.params["continue_from"] == 64
    # Same styles, weights and seed; only the size and the plan differ.
    assert {k: v for k, v in made.params.items() if k not in ("size", "continue_from", "steps")} == {
        k: v for k, v in source.params.items() if k not in ("size", "steps")
    }
    assert [(link.style, link.weight) for link in made.style_links.all()] == [
        (link.style, link.weight) for link in source.style_links.all()
    ]
    job = Job.fetch(made.job_id, connection=empty_queue.connection)
    assert job.origin == print_queue_name(96)
    assert made.job_id in Queue(print_queue_name(96), connection=empty_queue.connection).job_ids
    page = _signed_in(user).get(made.get_absolute_url()).content.decode()
    assert "A 96 px print of" in page and source.get_absolute_url() in page
    assert made.get_absolute_url() in _signed_in(user).get(source.get_absolute_url()).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("side", "message"),
    [
        (100, errors.PRINT_SIDE_NOT_OFFERED.format(sides="96 or 128", side=100)),
        (128, errors.PRINT_NO_WORKER.format(side=128, others=" (96 px can be made)")),
    ],
)
def test_a_refused_size_says_why(side, message):
    user = make_user()
    source = make_finished_stylization(user)
    with workers_making(96), pytest.raises(ValidationError) as refused:
        print_create(owner=user, source=source, side=side)
    assert refused.value.message_dict == {"side": [message]}
    assert not Stylization.objects.filter(print_of=source).exists()


@pytest.mark.django_db
def test_a_print_must_be_larger_than_the_result_and_of_a_finished_one(settings):
    settings.STYLIZER_PRINT_SIDES = (64, 96)
    user = make_user()
    source = make_finished_stylization(user)  # 64 px
    with workers_making(64, 96), pytest.raises(ValidationError) as refused:
        print_create(owner=user, source=source, side=64)
    assert refused.value.message_dict == {"side": [errors.PRINT_NOT_LARGER.format(source=64, side=64)]}
    running = make_stylization(user)
    with workers_making(96), pytest.raises(ValidationError) as refused:
        print_create(owner=user, source=running, side=96)
    assert refused.value.message_dict == {"print": [errors.PRINT_NOT_FINISHED]}


@pytest.mark.django_db
def test_a_print_counts_against_the_job_cap(settings):
    settings.STYLIZER_MAX_ACTIVE_JOBS = 1
    user = make_user()
    source = make_finished_stylization(user)
    make_stylization(user, photo=make_photo(user))  # queued: the cap is reached
    with workers_making(96), pytest.raises(errors.JobLimitReached):
        print_create(owner=user, source=source, side=96)


@pytest.mark.django_db
def test_a_finished_print_downloads_as_a_jpeg_named_after_the_photo_and_the_painting():
    user = make_user()
    source = make_finished_stylization(user)
    with workers_making(96):
        made = print_create(owner=user, source=source, side=96)
    style = source.style_links.get().style.title.lower().replace(" ", "-")
    assert download_name(made) == f"photo--{style}--print-96px.jpg"
    assert download_name(source) == f"photo--{style}.png"


@pytest.mark.django_db
def test_deleting_the_result_keeps_its_prints_and_a_waiting_print_cannot_be_retried():
    user = make_user()
    source = make_finished_stylization(user)
    with workers_making(96):
        done = print_create(owner=user, source=source, side=96)
        failed = print_create(owner=user, source=source, side=96, idempotency_key="second")
    Stylization.objects.filter(pk=done.pk).update(status=Status.SUCCEEDED)
    Stylization.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    services.stylization_delete(stylization=source)
    done.refresh_from_db()
    failed.refresh_from_db()
    assert done.print_of is None and done.print_side == 96  # still a print, of a deleted result
    assert "a result since deleted" in _signed_in(user).get(done.get_absolute_url()).content.decode()
    with workers_making(96), pytest.raises(ValidationError) as refused:
        services.stylization_retry(stylization=failed)
    assert refused.value.message_dict == {"print": [errors.PRINT_SOURCE_GONE]}
    # Deleting a print leaves the other prints and nothing else changes.
    services.stylization_delete(stylization=failed)
    assert list(Stylization.objects.filter(owner=user)) == [done]


@pytest.mark.django_db
def test_a_failed_print_retries_on_its_queue_while_its_result_exists():
    user = make_user()
    source = make_finished_stylization(user)
    with workers_making(96):
        made = print_create(owner=user, source=source, side=96)
        Stylization.objects.filter(pk=made.pk).update(status=Status.FAILED)
        made.refresh_from_db()
        retried = services.stylization_retry(stylization=made)
    assert (retried.status, retried.attempt) == (Status.QUEUED, 2)
    # Once no worker makes the size, a retry says so.
    Stylization.objects.filter(pk=made.pk).update(status=Status.CANCELLED)
    made.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.stylization_retry(stylization=made)
    assert refused.value.message_dict == {"side": [errors.PRINT_NO_WORKER.format(side=96, others="")]}
