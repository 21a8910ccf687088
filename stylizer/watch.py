"""The worker's watch over a running job, from outside the engine process.

Every MONITOR_TICK the worker asks `stylization_watch` whether the row is still the job's,
writing its heartbeat (the reaper's proof of life); when the row moves on (cancelled,
deleted, failed by the reconciler) the worker stops the engine. When the engine process
ends, `stylization_settle` fails the row if the job left it active and says why.
"""

from __future__ import annotations

import logging
import os
import signal
import time

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from gallery import errors
from gallery.models import Stylization
from gallery.services import files
from stylizer import notify
from stylizer.run import STOP_SIGNAL

log = logging.getLogger(__name__)


def stylization_watch(*, stylization_id: str, attempt: int, beat: bool) -> bool:
    """For the worker watching a job's process: is the row still that attempt's, queued or
    running? With `beat`, also write the row's heartbeat (the reaper's proof of life)."""
    rows = Stylization.objects.filter(pk=stylization_id, attempt=attempt)
    if beat and rows.filter(status=Stylization.Status.RUNNING).update(heartbeat_at=timezone.now()):
        return True
    return rows.filter(status__in=Stylization.ACTIVE_STATUSES).exists()


def stylization_settle(*, stylization_id: str, attempt: int, message: str, traceback_text: str = "") -> bool:
    """After a job's process has ended: fail the row if that attempt left it queued or
    running (the process died, or failed outside the engine), and delete the files that
    attempt wrote but the row does not reference. Returns whether the row was failed."""
    failed = Stylization.objects.filter(
        pk=stylization_id, attempt=attempt, status__in=Stylization.ACTIVE_STATUSES
    ).update(
        status=Stylization.Status.FAILED,
        error_message=message,
        error_traceback=traceback_text,
        finished_at=timezone.now(),
    )
    files.discard_unreferenced_files(stylization_id, attempt)
    if failed:
        notify.stylization_notify(stylization_id=stylization_id, attempt=attempt)
    return bool(failed)


class JobWatch:
    """The worker's view of one running job: heartbeat, cancel, and what to say if it dies."""

    def __init__(self, job):
        self.job = job
        self.stylization_id = job.kwargs.get("stylization_id")
        self.attempt = job.kwargs.get("attempt")
        self.started = time.monotonic()
        self.last_beat = float("-inf")
        self.gone_since: float | None = None
        self.exit_status: int | None = None  # set when the engine process died during the job

    def tick(self, worker) -> None:
        if self.stylization_id is None:
            return
        now = time.monotonic()
        beat = now - self.last_beat >= settings.STYLIZER_HEARTBEAT_INTERVAL
        try:
            current = stylization_watch(stylization_id=self.stylization_id, attempt=self.attempt, beat=beat)
        except DatabaseError as exc:  # a database blip must not kill a healthy job
            log.warning("could not check stylization %s: %s", self.stylization_id, exc)
            return
        if beat:
            self.last_beat = now
        if current:
            self.gone_since = None
        elif self.gone_since is None:
            log.info("stylization %s is no longer this job's; stopping %s", self.stylization_id, self.job.id)
            self.gone_since = now
            worker.signal_horse(STOP_SIGNAL)
        elif now - self.gone_since >= settings.STYLIZER_CANCEL_GRACE:
            log.info("job %s did not stop within %.0f s; killing it", self.job.id, settings.STYLIZER_CANCEL_GRACE)
            worker.stop_horse(self.job)

    def settle(self) -> None:
        if self.stylization_id is None:
            return
        try:
            stylization_settle(stylization_id=self.stylization_id, attempt=self.attempt, message=self._why_unfinished())
        except DatabaseError as exc:  # the reconciler will get to it
            log.warning("could not settle stylization %s: %s", self.stylization_id, exc)

    def _why_unfinished(self) -> str:
        """The message for a row that the job left queued or running."""
        timeout = self.job.timeout
        if timeout and timeout > 0 and time.monotonic() - self.started >= timeout:
            return errors.JOB_TIMED_OUT.format(seconds=timeout)
        if self.exit_status is not None and os.WIFSIGNALED(self.exit_status):
            signum = os.WTERMSIG(self.exit_status)
            return errors.PROCESS_KILLED.format(cause=f"signal {signum}, {signal.Signals(signum).name}")
        return errors.JOB_FAILED
