"""Keeping the rows true: the reaper and the reconciler.

The database row is the truth about a job, but a worker killed mid-job cannot say so,
and Redis can lose jobs. Every worker runs `stylization_reconcile` at start and every
STYLIZER_RECONCILE_INTERVAL seconds (`manage.py reconcile` runs it once); these are the
only writes that fail a row nobody is running. Reads (`gallery.selectors`) show a stale
row as failed at once, by the same definition (`gallery.models.stale_running`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from rq.job import Job, JobStatus

from gallery import errors
from gallery.models import Stylization, stale_running
from gallery.services import queue
from gallery.services.files import PARTIAL_FILE_MAX_AGE, discard_unreferenced_files
from gallery.storage import sweep_partial_files
from stylizer.notify import stylization_notify_settled

log = logging.getLogger(__name__)


def stylization_reap_stale(*, now: datetime | None = None) -> int:
    """Fail running rows whose worker stopped sending heartbeats; return how many.

    A worker killed mid-job (OOM, SIGKILL, machine gone) cannot say so; its row would
    stay "running" forever. The worker beats every STYLIZER_HEARTBEAT_INTERVAL seconds
    while its job runs, so a row silent for STYLIZER_STALE_AFTER seconds has lost it.
    """
    now = now or timezone.now()
    failed = 0
    for pk, attempt in Stylization.objects.filter(stale_running(now)).values_list("pk", "attempt"):
        failed += _fail(Stylization.objects.filter(stale_running(now)), pk, attempt, errors.WORKER_LOST, now)
    return failed


def _fail(rows, pk, attempt: int, message: str, now: datetime) -> int:
    """Fail the row's attempt if it is still among `rows` (what was read), and delete the
    files that attempt left and the row does not show: a dead worker never settled them."""
    failed = rows.filter(pk=pk, attempt=attempt).update(
        status=Stylization.Status.FAILED, error_message=message, finished_at=now
    )
    if failed:
        discard_unreferenced_files(pk, attempt)
    return failed


def stylization_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Make the rows agree with what is really happening; return what was fixed.

    Every worker runs this at start and every STYLIZER_RECONCILE_INTERVAL seconds
    (`manage.py reconcile` runs it once). It fails, with a message that says why:
    - running rows whose heartbeat stopped (their worker was killed): `stylization_reap_stale`;
    - queued or running rows whose RQ job is gone (Redis was flushed or restarted without
      persistence) or ended without telling the row (its worker died before it could).
    It deletes the files (objects, on S3) that the failed rows' attempts left and the rows
    do not show, and the leftovers of writes a crash cut short (`.part` files; unfinished
    multipart uploads), and mails the outcomes nobody mailed yet
    (`stylizer.notify`). If Redis is down, only the database-side checks run.
    """
    now = now or timezone.now()
    fixed = {"stale": stylization_reap_stale(now=now), "lost": 0}
    try:
        fixed["lost"] = _fail_rows_without_jobs(now)
    except redis.RedisError as exc:
        log.warning("reconcile: the queue is unavailable (%s); only heartbeats were checked", exc)
    fixed["partial_files"] = sweep_partial_files(older_than=PARTIAL_FILE_MAX_AGE)
    fixed["mailed"] = stylization_notify_settled()
    if any(fixed.values()):
        log.info("reconciled: %s", fixed)
    return fixed


def _fail_rows_without_jobs(now: datetime) -> int:
    # Rows younger than the grace may be between their commit and their enqueue.
    settled = now - timedelta(seconds=settings.STYLIZER_QUEUE_GRACE)
    rows = list(
        Stylization.objects.filter(
            Q(status=Stylization.Status.QUEUED, queued_at__lt=settled)
            | Q(status=Stylization.Status.RUNNING, started_at__lt=settled)
        ).values_list("pk", "attempt", "status")
    )
    if not rows:
        return 0
    ids = [Stylization.job_id_for(pk, attempt) for pk, attempt, _ in rows]
    jobs = Job.fetch_many(ids, connection=queue.get_queue().connection)
    failed = 0
    for (pk, attempt, status), job in zip(rows, jobs):
        message = _lost_job_message(job)
        if message:
            # Conditional on what was read: a row that moved on meanwhile is left alone.
            failed += _fail(Stylization.objects.filter(status=status), pk, attempt, message, now)
    return failed


def _lost_job_message(job: Job | None) -> str | None:
    """Why an active row's job can no longer finish it, or None if the job is alive."""
    if job is None:
        return errors.QUEUE_LOST
    status = job.get_status(refresh=False)
    if status == JobStatus.FINISHED:  # ran, but could not write its outcome
        return errors.JOB_FAILED
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        return errors.WORKER_LOST
    return None
