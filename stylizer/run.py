"""Running one stylization: the body of the RQ job, in the worker's engine process.

Claims the row, runs the engine with progress and previews written back, and writes the
outcome only if the row is still this attempt's (a cancel, a retry or the reaper wins).
The worker (`stylizer.worker`) watches from its own process (`stylizer.watch`).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from rq import get_current_job
from rq.timeouts import JobTimeoutException

from gallery import errors, eta, images
from gallery.models import Stylization
from gallery.services import files, queue
from stylizer import notify
from stylizer.engine import Cancelled, EngineError, Progress, StyleParams, open_image, stylize
from stylizer.engine.params import ParamsError

log = logging.getLogger(__name__)

# The worker sends this signal to a job's process when its row stops being that job's
# (cancelled, deleted, failed by the reconciler): the engine stops at once (see _RunState).
STOP_SIGNAL = signal.SIGUSR1


class _RunState:
    """The running job's link to its row: throttled progress writes and the stop signal."""

    def __init__(self, stylization: Stylization):
        self.pk = stylization.pk
        self.attempt = stylization.attempt
        self.stopped = threading.Event()
        self.losses: list[dict[str, float]] = []
        self.last_write = 0.0
        self.pending_preview = None
        self.preview_name = ""
        self.interruptible = False
        self.clock: eta.StageClock | None = None

    def mine(self):
        return Stylization.objects.filter(pk=self.pk, attempt=self.attempt, status=Stylization.Status.RUNNING)

    def write(self, **fields: Any) -> bool:
        """Update the row if it is still this attempt's and running; else ask the engine to stop."""
        if self.mine().update(heartbeat_at=timezone.now(), **fields):
            return True
        self.stopped.set()
        return False

    def progress(self, progress: Progress) -> None:
        self.interruptible = False  # never cut a database write or a file save short
        try:
            self._progress(progress)
        finally:
            self.interruptible = True

    def _progress(self, progress: Progress) -> None:
        self.losses.append({key: float(value) for key, value in progress.losses.items()})
        if self.clock is not None:
            self.clock.step(progress.stage)
        if progress.preview is not None:
            self.pending_preview = progress.preview
        now = time.monotonic()
        if now - self.last_write < settings.STYLIZER_PROGRESS_INTERVAL and progress.step < progress.total:
            return
        self.last_write = now
        fields: dict[str, Any] = {"step": progress.step, "total_steps": progress.total, "losses": self.losses}
        if self.clock is not None:
            fields["eta_at"] = self.clock.finish_at()
        new_preview = ""
        if self.pending_preview is not None:
            preview = images.jpeg(self.pending_preview, name="preview.jpg")
            new_preview = files.save_result_file(self.pk, self.attempt, preview)
            fields["preview"] = new_preview
            self.pending_preview = None
        if not self.write(**fields):
            # Cancelled or retried meanwhile: the row keeps the preview it points at.
            files.delete_files(new_preview)
        elif new_preview:
            files.delete_files(self.preview_name)
            self.preview_name = new_preview

    def on_stop_signal(self, signum, frame) -> None:
        """STOP_SIGNAL from the worker: stop now, even in the middle of a step.

        Steps are long (seconds at 1024 px on a CPU), so waiting for the engine's check
        between steps would keep a cancelled job running. The exception surfaces at the
        next Python instruction of the engine; the worker kills the process if a long
        native call keeps it from stopping within STYLIZER_CANCEL_GRACE.
        """
        self.stopped.set()
        if self.interruptible:
            self.interruptible = False
            raise Cancelled(len(self.losses), 0)


def stylization_run(*, stylization_id: str, attempt: int, device: str | None = None) -> None:
    """Run one attempt of a stylization: the body of the RQ job.

    Claims the row (queued -> running) only if it is still this attempt, so cancelled,
    retried or deleted rows are skipped. Progress and previews are written back while
    running; the outcome (result, cancellation or a failure with a message for the user
    and the traceback for staff) is written only if the row is still ours.
    """
    close_old_connections()
    now = timezone.now()
    claimed = Stylization.objects.filter(pk=stylization_id, attempt=attempt, status=Stylization.Status.QUEUED).update(
        status=Stylization.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        log.info("stylization %s attempt %s is no longer queued; skipped", stylization_id, attempt)
        return
    stylization = Stylization.objects.select_related("photo", "print_of").get(pk=stylization_id)
    state = _RunState(stylization)
    outcome = _run_engine(stylization, state, device or settings.STYLIZER_DEVICE)
    if state.mine().update(finished_at=timezone.now(), eta_at=None, losses=state.losses, **outcome):
        files.delete_files(state.preview_name if "preview" in outcome else "")
    else:
        # Cancelled, retried or deleted meanwhile: keep what the row still points at (a
        # cancelled row shows its last preview) and delete the rest of this attempt's files.
        files.discard_unreferenced_files(stylization_id, attempt)
    notify.stylization_notify(stylization_id=stylization_id, attempt=attempt)


def _run_engine(stylization: Stylization, state: _RunState, device: str) -> dict[str, Any]:
    """Run the engine; return the row's final fields (never raises for a job failure)."""
    # What the worker chooses comes from its settings, explicitly (never through os.environ).
    params = eta.with_step_cap(
        StyleParams.from_json(stylization.params, device=device).replace(
            preview_every=settings.STYLIZER_PREVIEW_EVERY, weights=settings.STYLIZER_TORCHVISION_WEIGHTS
        )
    )
    worker = _worker_name()
    # Before its first steps: this worker's last speed, else the other workers' (a shape to scale).
    speeds = eta.speeds_load()
    prior = speeds.get(worker) or eta.best_known(speeds.values())
    state.clock = eta.StageClock(eta.plan(params, (stylization.photo.width, stylization.photo.height)), prior=prior)
    state.write(eta_at=state.clock.finish_at())
    try:
        content = _open_stored(stylization.photo.image)
        styles = [_open_stored(link.style.image) for link in stylization.style_links.select_related("style")]
        start = _print_start(stylization) if params.continue_from else None
        with _stop_signal_interrupts(state):
            result = stylize(
                content, styles, params, progress=state.progress, should_stop=state.stopped.is_set, start=start
            )
    except _SourceGone:
        return _failure(errors.PRINT_SOURCE_GONE)
    except Cancelled:
        _remember_speed(worker, state.clock)
        return {"status": Stylization.Status.CANCELLED}
    except JobTimeoutException:
        return _failure(errors.JOB_TIMED_OUT.format(seconds=_time_limit(params)))
    except (EngineError, ParamsError) as exc:
        return _failure(str(exc))
    except Exception:
        log.exception("stylization %s failed", stylization.pk)
        return _failure(errors.JOB_FAILED)
    _remember_speed(worker, state.clock)
    return {
        "status": Stylization.Status.SUCCEEDED,
        "result": files.save_result_file(stylization.pk, stylization.attempt, _result_file(result.image, params)),
        "preview": files.save_result_file(
            stylization.pk, stylization.attempt, images.thumbnail(result.image, name="thumbnail.jpg")
        ),
        "run_seconds": result.seconds,
        "step": result.steps,
        "total_steps": result.steps,
    }


@contextlib.contextmanager
def _stop_signal_interrupts(state: _RunState) -> Iterator[None]:
    """While the engine runs, STOP_SIGNAL interrupts it (handlers live in the main thread only)."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(STOP_SIGNAL, state.on_stop_signal)
    state.interruptible = True
    try:
        yield
    finally:
        state.interruptible = False
        if previous is not None:
            signal.signal(STOP_SIGNAL, previous)


def _time_limit(params: StyleParams) -> int:
    """The limit RQ enforced on this job (the worker's settings may differ from the web's)."""
    job = get_current_job()
    return job.timeout if job is not None and job.timeout else queue.job_timeout(params)


def _worker_name() -> str:
    job = get_current_job()
    return (job.worker_name if job is not None else None) or socket.gethostname()


def _remember_speed(worker: str, clock: eta.StageClock) -> None:
    """This worker's speed, fitted over the job's stages: the next job's first estimate."""
    speed = clock.speed() if any(clock.done) else None
    if speed is not None:
        eta.speed_save(worker, speed)


class _SourceGone(Exception):
    """The result a print continues was deleted (or its file is gone)."""


def _print_start(stylization: Stylization) -> Any:
    """The finished result a print continues (gallery/services/prints.py)."""
    source = stylization.print_of
    if source is None or not source.result:
        raise _SourceGone()
    try:
        return _open_stored(source.result)
    except FileNotFoundError as exc:
        raise _SourceGone() from exc


# A print is a JPEG at this quality: a 2048 px PNG is 6-8 MB, this about a third of that,
# with no artefact visible at print size.
PRINT_JPEG_QUALITY = 95


def _result_file(image, params: StyleParams):
    if params.continue_from:
        return images.jpeg(image, name="print.jpg", quality=PRINT_JPEG_QUALITY, subsampling=0)
    return images.png(image, name="result.png")


def _failure(message: str) -> dict[str, Any]:
    return {"status": Stylization.Status.FAILED, "error_message": message, "error_traceback": traceback.format_exc()}


def _open_stored(field) -> Any:
    with field.open("rb") as handle:
        return open_image(handle, name=field.name.rsplit("/", 1)[-1], max_pixels=images.max_pixels())
