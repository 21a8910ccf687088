"""Helpers for tests that run real jobs: create tiny stylizations and wait on their rows."""

from __future__ import annotations

import time
from collections.abc import Callable

from rq.job import Job

from gallery.models import Stylization
from stylizer.engine import StyleParams
from tests.gallery.factories import TINY, make_photo, make_stylization, make_user

# Long enough to still be running when the test acts on it; never run to the end.
LONG = StyleParams(size=64, steps=5000)
JOB_WAIT = 90


def create(params: StyleParams = TINY, user=None) -> Stylization:
    user = user or make_user()
    return make_stylization(user, photo=make_photo(user, size=(80, 60)), params=params)


def wait_for(stylization: Stylization, done: Callable[[Stylization], bool], timeout: float = JOB_WAIT) -> Stylization:
    """Poll the row (straight from the database) until `done(row)`; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        stylization.refresh_from_db()
        if done(stylization):
            return stylization
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; row is {stylization.status} at step {stylization.step}")
        time.sleep(0.1)


def finished(stylization: Stylization) -> bool:
    return stylization.status in Stylization.FINISHED_STATUSES


def running(stylization: Stylization) -> bool:
    return stylization.status == Stylization.Status.RUNNING


def running_with_progress(stylization: Stylization) -> bool:
    return stylization.status == Stylization.Status.RUNNING and stylization.step >= 1


def shorten(stylization: Stylization, params: StyleParams = TINY) -> None:
    """Make the next attempt quick (the inputs are otherwise the same)."""
    Stylization.objects.filter(pk=stylization.pk).update(params=params.to_json())


def wait_for_job_end(stylization: Stylization, connection, timeout: float) -> float:
    """Seconds until the RQ job of the row's current attempt is no longer running."""
    started = time.monotonic()
    while Job.fetch(stylization.job_id, connection=connection).get_status() in ("queued", "started"):
        if time.monotonic() - started > timeout:
            raise AssertionError(f"job {stylization.job_id} still running after {timeout} s")
        time.sleep(0.02)
    return time.monotonic() - started
