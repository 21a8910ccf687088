"""The RQ worker for stylization jobs: `manage.py rqworker stylize` uses it (settings.RQ).

It is RQ's forking Worker: the worker process takes a job from Redis and forks a *work
horse* that runs it (`gallery.services.stylization_run`) and exits. The worker itself
never runs the engine; it watches the horse. That split is what makes faults visible:
- A horse that dies (the OOM killer, kill -9, a crash in native code) takes only its job
  with it. The worker sees it at once (waitpid) and fails the row with the reason, and
  the user can retry a second later.
- Cancelling works mid-step. The worker checks the row every second while the horse runs;
  when the row stops being the horse's (cancelled, deleted, failed by the reconciler) it
  sends STOP_SIGNAL, which interrupts the engine, and kills the horse if it has not
  stopped STYLIZER_CANCEL_GRACE seconds later (one backward pass at 1024 px on a CPU is
  longer than that, and cannot be interrupted from Python).
- The worker writes the running row's heartbeat. If the worker itself is killed, its
  horse dies with it (PR_SET_PDEATHSIG: no orphan goes on computing) and the heartbeat
  stops; the reconciler (`services.stylization_reconcile`), which every worker runs at
  start and every STYLIZER_RECONCILE_INTERVAL seconds, then fails the row.
- Each job starts from fresh memory: what one job's allocations fragment goes back to
  the system when its horse exits.

What forking costs, and how it is kept small:
- VGG-19 is read and dequantized once, in the worker, on the CPU (`warm_up`); each horse
  inherits it copy-on-write, so no horse reads the weights file.
- PyTorch's OpenMP runtime (libgomp) hangs a child forked after the parent ran a parallel
  region, so the worker runs PyTorch single-threaded (it only loads weights) and each
  horse sets the thread count back.
- CUDA cannot be used in a child forked after the parent initialised it, so the worker
  never initialises CUDA (its availability check goes through NVML); each horse creates
  its own CUDA context and copies the weights to the GPU. bench/job_overhead.py measures
  what that adds per job (README, "Workers").
- Apple's frameworks are not fork-safe either: on macOS use RQ's SpawnWorker for MPS.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import threading
import time

import redis
import torch
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections
from rq.worker import Worker

from gallery import errors, services
from stylizer.engine import warm_up
from stylizer.engine.devices import WEIGHTS_ENV
from stylizer.engine.params import DEVICES

log = logging.getLogger(__name__)

# Seconds between the worker's looks at a running horse (RQ's job_monitoring_interval).
MONITOR_TICK = 1
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class StylizerWorker(Worker):
    def __init__(self, *args, **kwargs):
        kwargs["job_monitoring_interval"] = MONITOR_TICK
        # RQ's own registry cleaning runs as often as our reconciler; both are cheap.
        kwargs["maintenance_interval"] = settings.STYLIZER_RECONCILE_INTERVAL
        super().__init__(*args, **kwargs)
        self._horse_threads = torch.get_num_threads()
        self._watch: _HorseWatch | None = None

    # The worker process ------------------------------------------------------------

    def work(self, *args, **kwargs) -> bool:
        device = settings.STYLIZER_DEVICE
        if device not in DEVICES:
            raise ImproperlyConfigured(f"STYLIZER_DEVICE must be one of {', '.join(DEVICES)}, not {device!r}.")
        if settings.STYLIZER_TORCHVISION_WEIGHTS:
            # The engine reads its weights path from the environment, for warm-up and for every job.
            os.environ[WEIGHTS_ENV] = settings.STYLIZER_TORCHVISION_WEIGHTS
        if device == "cuda":
            _require_cuda()
        started = time.monotonic()
        torch.set_num_threads(1)  # no OpenMP thread pool in a process that forks (see above)
        warm_up("cpu")
        log.info("VGG-19 loaded in %.1f s; jobs run on %s", time.monotonic() - started, device)
        return super().work(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        # Wake up from an idle wait at least every reconcile interval.
        return max(1, min(super().dequeue_timeout, settings.STYLIZER_RECONCILE_INTERVAL))

    def run_maintenance_tasks(self) -> None:
        # First the database side, which works while Redis is down; RQ's part may raise then.
        try:
            services.stylization_reconcile()
        except DatabaseError as exc:
            log.warning("reconcile failed: %s", exc)
        super().run_maintenance_tasks()

    def fork_work_horse(self, job, queue) -> None:
        # A horse must never share the worker's database sockets.
        connections.close_all()
        self._worker_pid = os.getpid()
        super().fork_work_horse(job, queue)

    def monitor_work_horse(self, job, queue, execution) -> None:
        self._watch = _HorseWatch(job)
        try:
            super().monitor_work_horse(job, queue, execution)
        finally:
            watch, self._watch = self._watch, None
            watch.settle()

    def maintain_heartbeats(self, job, execution) -> None:
        """Every MONITOR_TICK while the horse runs: the row's heartbeat and cancel check first
        (they need only the database), then RQ's heartbeats and maintenance."""
        if self._watch is not None:
            self._watch.tick(self)
        try:
            super().maintain_heartbeats(job, execution)
            if self.should_run_maintenance_tasks:
                self.run_maintenance_tasks()
        except redis.RedisError as exc:
            log.warning("Redis unavailable while job %s runs (%s); it goes on", job.id, exc)

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage) -> None:
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        if self._watch is not None:
            self._watch.exit_status = ret_val

    def signal_horse(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # it has just ended
            os.kill(self.horse_pid, signum)

    def stop_horse(self, job) -> None:
        """Kill the horse; RQ records the job as stopped rather than failed."""
        self._stopped_job_id = job.id
        self.kill_horse()

    # The work horse (runs in the forked child) ---------------------------------------

    def main_work_horse(self, job, queue) -> None:
        _die_with(self._worker_pid)
        # Ignored until the engine runs and `stylization_run` handles it.
        signal.signal(services.STOP_SIGNAL, signal.SIG_IGN)
        torch.set_num_threads(self._horse_threads)
        super().main_work_horse(job, queue)


class _HorseWatch:
    """The worker's view of one running job: heartbeat, cancel, and what to say if it dies."""

    def __init__(self, job):
        self.job = job
        self.stylization_id = job.kwargs.get("stylization_id")
        self.attempt = job.kwargs.get("attempt")
        self.started = time.monotonic()
        self.last_beat = float("-inf")
        self.gone_since: float | None = None
        self.exit_status: int | None = None  # set when the horse died abnormally

    def tick(self, worker: StylizerWorker) -> None:
        if self.stylization_id is None:
            return
        now = time.monotonic()
        beat = now - self.last_beat >= settings.STYLIZER_HEARTBEAT_INTERVAL
        try:
            current = services.stylization_watch(stylization_id=self.stylization_id, attempt=self.attempt, beat=beat)
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
            worker.signal_horse(services.STOP_SIGNAL)
        elif now - self.gone_since >= settings.STYLIZER_CANCEL_GRACE:
            log.info("job %s did not stop within %.0f s; killing it", self.job.id, settings.STYLIZER_CANCEL_GRACE)
            worker.stop_horse(self.job)

    def settle(self) -> None:
        if self.stylization_id is None:
            return
        try:
            services.stylization_settle(
                stylization_id=self.stylization_id, attempt=self.attempt, message=self._why_unfinished()
            )
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


def _require_cuda() -> None:
    """Refuse to start without a GPU when one is asked for, without initialising CUDA here."""
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    if not torch.cuda.is_available():
        raise ImproperlyConfigured("STYLIZER_DEVICE is 'cuda', but no CUDA GPU is available (use auto or cpu).")


def _die_with(worker_pid: int) -> None:
    """Make this horse die when its worker does, so a killed worker leaves no orphan working."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: watch the parent instead
        threading.Thread(target=_exit_when_orphaned, args=(worker_pid,), daemon=True).start()
    if os.getppid() != worker_pid:  # the worker died before the kernel was told
        os._exit(1)


def _exit_when_orphaned(worker_pid: int) -> None:
    while os.getppid() == worker_pid:
        time.sleep(1)
    os._exit(1)
