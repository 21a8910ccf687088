"""Process plumbing for the worker's engine process: the handle on it (pid and job pipe),
dying with the worker, holding signals off, and checking for CUDA without initialising it.
Why the worker keeps one engine process is written down in `stylizer.worker`.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
import time
from multiprocessing.connection import Connection, wait

import torch
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
JOB_DONE = "done"


class EngineProcess:
    """The worker's handle on its engine process: a pid and the pipe that carries jobs."""

    def __init__(self, pid: int, jobs: Connection):
        self.pid = pid
        self.jobs = jobs
        self.count = 0
        self.busy = False
        self.dead = False

    def run(self, job_id: str, queue_name: str, execution_id: str) -> None:
        self.jobs.send((job_id, queue_name, execution_id))
        self.count += 1
        self.busy = True

    def wait_for_job(self) -> bool:
        """Block until the current job is done (True) or the process died (False).

        RQ interrupts this every MONITOR_TICK (SIGALRM) to beat and check; the message is
        read with SIGALRM held off, so an interruption never loses half of it.
        """
        while self.busy and not self.dead:
            wait([self.jobs])
            with signals_held(signal.SIGALRM):
                try:
                    self.busy = self.jobs.recv() != JOB_DONE
                except (EOFError, OSError):
                    self.dead = True
        return not self.dead

    def alive(self) -> bool:
        if not self.dead and os.waitpid(self.pid, os.WNOHANG)[0]:
            self.dead = True
        return not self.dead

    def used_up(self) -> bool:
        return 0 < settings.STYLIZER_ENGINE_MAX_JOBS <= self.count

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def reap(self):
        """The process's exit, as os.wait4 gives it (pid, status, rusage)."""
        self.jobs.close()
        try:
            return os.wait4(self.pid, 0)
        except ChildProcessError:  # already reaped (alive() saw it go)
            return self.pid, None, None

    def stop(self) -> None:
        """Let it finish (it exits when the pipe closes); kill it if it does not."""
        self.jobs.close()
        for _ in range(50):
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(self.pid, os.WNOHANG)[0]:
                    return
            if self.dead:
                return
            time.sleep(0.1)
        self.signal(signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


@contextlib.contextmanager
def signals_held(*signums: int):
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signums)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def require_cuda() -> None:
    """Refuse to start without a GPU when one is asked for, without initialising CUDA here."""
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    if not torch.cuda.is_available():
        raise ImproperlyConfigured("STYLIZER_DEVICE is 'cuda', but no CUDA GPU is available (use auto or cpu).")


def die_with(worker_pid: int) -> None:
    """Make the engine process die when its worker does, so a killed worker leaves no orphan working."""
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
