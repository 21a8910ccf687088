"""The RQ job end to end: a real Redis, a real worker process, the real engine on tiny images."""

import time

import pytest
from PIL import Image

from gallery import errors, selectors, services
from gallery.models import Stylization
from tests.gallery.factories import make_photo, make_stylization, make_user
from tests.stylizer.jobs import LONG, create, finished, running_with_progress, shorten, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_job_stores_a_png_of_the_requested_size_with_its_losses(rq_worker, empty_queue):
    stylization = wait_for(create(), finished)
    assert stylization.status == Stylization.Status.SUCCEEDED, stylization.error_traceback
    with Image.open(stylization.result.path) as result:
        assert result.format == "PNG"
        assert max(result.size) == 64 and result.size == (64, 48)
    assert stylization.step == stylization.total_steps == 3
    assert len(stylization.losses) == 3 and {"content", "style", "total"} <= set(stylization.losses[0])
    assert stylization.run_seconds > 0
    assert stylization.preview and stylization.started_at <= stylization.finished_at


def test_cancel_stops_a_running_job_between_steps(rq_worker, empty_queue):
    stylization = wait_for(create(LONG), running_with_progress)
    assert stylization.preview, "previews are written while running"
    services.stylization_cancel(stylization=stylization)
    # The worker notices between two steps and moves on to the next job.
    follower = wait_for(create(), finished)
    assert follower.status == Stylization.Status.SUCCEEDED
    stylization.refresh_from_db()
    assert stylization.status == Stylization.Status.CANCELLED
    assert not stylization.result
    assert stylization.step < LONG.steps


def test_a_failing_job_records_a_message_for_the_user_and_the_traceback(rq_worker, empty_queue):
    user = make_user()
    photo = make_photo(user)
    with open(photo.image.path, "wb") as damaged:
        damaged.write(b"this is no longer an image")
    stylization = make_stylization(user, photo=photo)
    stylization = wait_for(stylization, finished)
    assert stylization.status == Stylization.Status.FAILED
    assert stylization.error_message.startswith(photo.image.name.rsplit("/", 1)[-1])
    assert "Traceback" in stylization.error_traceback


def test_killed_worker_ends_as_failed_and_retry_works(rq_worker, worker_factory, empty_queue, settings):
    stylization = wait_for(create(LONG), running_with_progress)
    rq_worker.kill()
    killed_at = time.monotonic()

    # Reads show a dead worker's row as failed (no worker is left to reap it), without writing it.
    def reads_failed(row: Stylization) -> bool:
        return selectors.stylization_get(fetched_by=row.owner, stylization_id=row.pk).status == "failed"

    stylization = wait_for(stylization, reads_failed, timeout=settings.STYLIZER_STALE_AFTER + 5)
    assert time.monotonic() - killed_at < settings.STYLIZER_STALE_AFTER + 5
    assert stylization.status == "running", "a read writes nothing: only the reaper does"
    seen = selectors.stylization_get(fetched_by=stylization.owner, stylization_id=stylization.pk)
    assert (seen.status, seen.error_message) == ("failed", errors.WORKER_LOST)

    # A new worker takes the retry. Keep the rerun short; the inputs are otherwise the same.
    worker_factory()
    shorten(stylization)
    services.stylization_retry(stylization=selectors.stylization_get(fetched_by=seen.owner, stylization_id=seen.pk))
    stylization.refresh_from_db()
    assert stylization.status == Stylization.Status.QUEUED
    stylization = wait_for(stylization, finished)
    assert stylization.status == Stylization.Status.SUCCEEDED
    assert stylization.attempt == 2
