"""The reaper and the reconciler: the only writes that fail a row nobody is running."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rq.job import Job

from gallery import errors
from gallery.models import Stylization
from stylizer.reconcile import stylization_reap_stale, stylization_reconcile
from tests.gallery.factories import make_stylization as _create

# Reaping -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_reaper_fails_running_rows_whose_heartbeat_stopped(settings, idle_queue):
    stale, fresh = _create(), _create()
    long_ago = timezone.now() - timedelta(seconds=settings.STYLIZER_STALE_AFTER + 1)
    Stylization.objects.filter(pk=stale.pk).update(status="running", started_at=long_ago, heartbeat_at=long_ago)
    Stylization.objects.filter(pk=fresh.pk).update(status="running", started_at=long_ago, heartbeat_at=timezone.now())
    assert stylization_reap_stale() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, stale.error_message) == ("failed", errors.WORKER_LOST)
    assert fresh.status == "running"


@pytest.mark.django_db(transaction=True)
def test_reconcile_fails_active_rows_whose_job_vanished_after_the_grace(settings, idle_queue):
    queued, running, fresh = _create(), _create(), _create()
    long_ago = timezone.now() - timedelta(seconds=settings.STYLIZER_QUEUE_GRACE + 1)
    Stylization.objects.filter(pk=queued.pk).update(queued_at=long_ago)
    Stylization.objects.filter(pk=running.pk).update(status="running", started_at=long_ago, heartbeat_at=timezone.now())
    idle_queue.connection.flushall()

    assert stylization_reconcile()["lost"] == 2
    for row in (queued, running):
        row.refresh_from_db()
        assert (row.status, row.error_message) == ("failed", errors.QUEUE_LOST)
    fresh.refresh_from_db()
    assert fresh.status == "queued", "a row younger than the grace may still be on its way to Redis"
    assert stylization_reconcile()["lost"] == 0


@pytest.mark.django_db(transaction=True)
def test_reconcile_leaves_rows_whose_jobs_are_alive(settings, idle_queue):
    stylization = _create()
    long_ago = timezone.now() - timedelta(seconds=settings.STYLIZER_QUEUE_GRACE + 1)
    Stylization.objects.filter(pk=stylization.pk).update(queued_at=long_ago)
    assert stylization_reconcile() == {"stale": 0, "lost": 0, "partial_files": 0, "mailed": 0}
    stylization.refresh_from_db()
    assert stylization.status == "queued"


@pytest.mark.django_db(transaction=True)
def test_reconcile_fails_a_row_whose_job_ended_without_telling_it(settings, idle_queue):
    stylization = _create()
    long_ago = timezone.now() - timedelta(seconds=settings.STYLIZER_QUEUE_GRACE + 1)
    Stylization.objects.filter(pk=stylization.pk).update(
        status="running", started_at=long_ago, heartbeat_at=timezone.now()
    )
    job = Job.fetch(stylization.job_id, connection=idle_queue.connection)
    job.set_status("failed")  # as RQ records a job whose worker vanished (AbandonedJobError)
    assert stylization_reconcile()["lost"] == 1
    stylization.refresh_from_db()
    assert (stylization.status, stylization.error_message) == ("failed", errors.WORKER_LOST)


@pytest.mark.django_db(transaction=True)
def test_reconcile_checks_heartbeats_even_with_redis_down(settings, tmp_path, idle_queue):
    stale = _create()
    long_ago = timezone.now() - timedelta(seconds=settings.STYLIZER_STALE_AFTER + 1)
    Stylization.objects.filter(pk=stale.pk).update(status="running", started_at=long_ago, heartbeat_at=long_ago)
    settings.RQ_QUEUES = {settings.RQ_QUEUE: {"URL": f"unix://{tmp_path}/no-redis-here.sock"}}
    assert stylization_reconcile()["stale"] == 1
    stale.refresh_from_db()
    assert (stale.status, stale.error_message) == ("failed", errors.WORKER_LOST)
