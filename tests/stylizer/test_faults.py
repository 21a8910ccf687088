"""Faults, with real processes: a killed job process, a killed worker, a job past its
time limit, and cancelling queued and running jobs. Each test kills or stops real
processes and checks what the user would see: the row's status and message, the files
left behind, and that the worker goes on to the next job.

The intervals are the test ones (tests/conftest.py); bench/faults.py measures the same
faults with the production defaults.
"""

import os
import signal
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from rq.job import Job

from gallery import errors, services
from gallery.models import Stylization
from gallery.storage import PARTIAL_DIR
from stylizer.engine import StyleParams
from tests.conftest import RECONCILE_INTERVAL, STALE_AFTER, wait_until_gone
from tests.gallery.api.conftest import token_client
from tests.stylizer.jobs import (
    LONG,
    create,
    finished,
    running,
    running_with_progress,
    shorten,
    wait_for,
    wait_for_job_end,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

CANCEL_GRACE = 2.0  # the default STYLIZER_CANCEL_GRACE, which the test workers keep
# One optimizer step at 1024 px takes about 12 s on a 2-core CPU: far longer than the
# 5 s in which a cancelled job must stop, so stopping has to interrupt a step.
HUGE = StyleParams(size=1024, steps=5, multiscale=False)


def _failed(stylization: Stylization) -> bool:
    return stylization.status == Stylization.Status.FAILED


def _files_of(stylization: Stylization, media_root: Path) -> list[str]:
    folder = media_root / "results" / str(stylization.pk)
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def _partial_files(media_root: Path) -> list[str]:
    folder = media_root / PARTIAL_DIR
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_killing_the_job_process_fails_the_row_at_once_and_retry_works(worker_factory, idle_queue):
    worker = worker_factory()
    stylization = wait_for(create(LONG), running_with_progress)
    engine = worker.engine_pid()

    os.kill(engine, signal.SIGKILL)
    killed_at = time.monotonic()
    stylization = wait_for(stylization, _failed, timeout=10)
    assert time.monotonic() - killed_at < 10
    assert stylization.error_message == errors.PROCESS_KILLED.format(cause="signal 9, SIGKILL")

    # The same worker takes the retry, in a new process.
    shorten(stylization)
    services.stylization_retry(stylization=stylization)
    stylization = wait_for(stylization, finished)
    assert (stylization.status, stylization.attempt) == (Stylization.Status.SUCCEEDED, 2)
    assert worker.process.poll() is None


def test_killing_the_whole_worker_fails_the_row_and_leaves_no_process_behind(worker_factory, idle_queue, settings):
    victim = worker_factory()
    stylization = wait_for(create(LONG), running_with_progress)
    engine = victim.engine_pid()
    survivor = worker_factory()  # runs the reconciler that notices

    victim.kill()  # SIGKILL to the worker's process group; its engine process has a group of its own
    killed_at = time.monotonic()
    wait_until_gone(engine, timeout=5)

    # Straight from the database: the survivor's reconciler failed the row, not a page read.
    stylization = wait_for(stylization, _failed, timeout=STALE_AFTER + 4 * RECONCILE_INTERVAL + 5)
    assert time.monotonic() - killed_at < STALE_AFTER + 4 * RECONCILE_INTERVAL + 5
    assert stylization.error_message == errors.WORKER_LOST

    shorten(stylization)
    services.stylization_retry(stylization=stylization)
    stylization = wait_for(stylization, finished)
    assert stylization.status == Stylization.Status.SUCCEEDED
    assert survivor.process.poll() is None


def test_a_job_past_its_time_limit_fails_saying_so(worker_factory, idle_queue, settings, media_root):
    settings.STYLIZER_JOB_TIMEOUT_BASE = 3  # the web side computes each job's limit
    settings.STYLIZER_JOB_TIMEOUT_SCALE = 0
    worker = worker_factory()
    stylization = wait_for(create(LONG), finished, timeout=60)
    assert stylization.status == Stylization.Status.FAILED
    assert stylization.error_message == errors.JOB_TIMED_OUT.format(seconds=3)
    assert not stylization.result
    assert _files_of(stylization, media_root) == ([Path(stylization.preview.name).name] if stylization.preview else [])

    settings.STYLIZER_JOB_TIMEOUT_BASE = 180
    assert wait_for(create(), finished).status == Stylization.Status.SUCCEEDED
    assert worker.process.poll() is None


def test_a_cancelled_queued_job_never_runs(worker_factory, idle_queue):
    worker_factory()
    ahead = wait_for(create(LONG), running_with_progress)
    waiting = create(LONG)
    services.stylization_cancel(stylization=waiting)
    services.stylization_cancel(stylization=ahead)

    follower = wait_for(create(), finished)  # the worker went past the cancelled job
    assert follower.status == Stylization.Status.SUCCEEDED
    waiting.refresh_from_db()
    assert waiting.status == Stylization.Status.CANCELLED
    assert (waiting.started_at, waiting.step, waiting.preview.name) == (None, 0, "")
    job = Job.fetch(waiting.job_id, connection=idle_queue.connection)
    assert job.get_status() == "canceled" and job.started_at is None


def test_a_cancelled_running_job_stops_within_seconds_even_mid_step_and_leaves_no_files(
    worker_factory, idle_queue, media_root
):
    worker = worker_factory()
    stylization = wait_for(create(HUGE), running)
    time.sleep(3)  # well into preparing the targets and the first 12-second step

    services.stylization_cancel(stylization=stylization)
    assert wait_for_job_end(stylization, idle_queue.connection, timeout=5) < 5

    stylization.refresh_from_db()
    assert stylization.status == Stylization.Status.CANCELLED and not stylization.result
    assert _files_of(stylization, media_root) == []
    assert _partial_files(media_root) == []
    assert wait_for(create(), finished).status == Stylization.Status.SUCCEEDED
    assert worker.process.poll() is None


def test_a_cancelled_running_job_keeps_its_last_preview_for_the_page_and_the_api(
    worker_factory, idle_queue, media_root
):
    worker_factory()
    stylization = wait_for(create(LONG), lambda row: running(row) and bool(row.preview))

    services.stylization_cancel(stylization=stylization)
    wait_for_job_end(stylization, idle_queue.connection, timeout=10)
    time.sleep(0.5)  # the worker settles the attempt's files right after the job ends

    stylization.refresh_from_db()
    assert stylization.status == Stylization.Status.CANCELLED and stylization.preview
    assert _files_of(stylization, media_root) == [Path(stylization.preview.name).name]
    page = Client()
    page.force_login(stylization.owner)
    assert page.get(reverse("gallery:stylization_preview", args=[stylization.pk])).status_code == 200
    assert "Last preview before it stopped" in page.get(stylization.get_absolute_url()).content.decode()
    api = token_client(stylization.owner)
    preview_url = api.get(f"/api/v1/stylizations/{stylization.pk}/").json()["preview_url"]
    assert api.get(preview_url).status_code == 200


def test_deleting_a_running_stylization_stops_its_job_and_leaves_no_files(worker_factory, idle_queue, media_root):
    worker = worker_factory()
    stylization = wait_for(create(LONG), lambda row: running(row) and bool(row.preview))

    services.stylization_delete(stylization=Stylization.objects.get(pk=stylization.pk))  # ours keeps its pk
    assert wait_for_job_end(stylization, idle_queue.connection, timeout=5) < 5
    time.sleep(0.5)  # the worker settles the attempt's files right after the job ends
    assert _files_of(stylization, media_root) == []
    assert wait_for(create(), finished).status == Stylization.Status.SUCCEEDED
    assert worker.process.poll() is None


def test_a_cancelled_job_whose_process_cannot_stop_is_killed_and_the_process_replaced(worker_factory, idle_queue):
    worker = worker_factory()
    stylization = wait_for(create(LONG), running_with_progress)
    engine = worker.engine_pid()
    os.kill(engine, signal.SIGSTOP)  # as deaf to the stop signal as a long native call

    services.stylization_cancel(stylization=stylization)
    assert wait_for_job_end(stylization, idle_queue.connection, timeout=10) < 2 + CANCEL_GRACE + 1
    wait_until_gone(engine, timeout=5)
    stylization.refresh_from_db()
    assert stylization.status == Stylization.Status.CANCELLED

    assert wait_for(create(), finished).status == Stylization.Status.SUCCEEDED
    assert worker.engine_pid() != engine


def test_the_engine_process_is_replaced_after_its_quota_of_jobs(worker_factory, idle_queue):
    worker = worker_factory({"STYLIZER_ENGINE_MAX_JOBS": "2"})
    engines = []
    for _ in range(3):
        assert wait_for(create(), finished).status == Stylization.Status.SUCCEEDED
        engines.append(worker.engine_pid())
    assert engines[0] == engines[1] != engines[2]
