"""The RQ worker for stylization jobs: `manage.py rqworker stylize` uses it (settings.RQ).

Two processes per worker. The *worker* takes jobs from Redis and watches; it never runs
the engine. It forks one *engine process* (RQ's "work horse"), which keeps VGG-19 loaded
(and, on a GPU, its CUDA context) and runs the jobs it is handed, one at a time
(`stylizer.run.stylization_run` through RQ's `perform_job`). The split is what makes
faults visible and stoppable:
- An engine process that dies (the OOM killer, kill -9, a crash in native code) takes
  only its current job with it. The worker sees it at once (the pipe between them
  closes), fails the row with the reason, and forks a fresh engine process, which
  warms up while the worker waits for the next job.
- Cancelling works mid-step. While a job runs the worker checks its row every second;
  when the row stops being the job's (cancelled, deleted, failed by the reconciler) it
  sends STOP_SIGNAL, which interrupts the engine, and kills the engine process if it has
  not stopped STYLIZER_CANCEL_GRACE seconds later (one backward pass at 1024 px on a CPU
  is longer than that and cannot be interrupted from Python).
- The worker writes the running row's heartbeat. If the worker itself is killed, its
  engine process dies with it (PR_SET_PDEATHSIG: no orphan goes on computing) and the
  heartbeat stops; the reconciler (`stylizer.reconcile.stylization_reconcile`), which every worker
  runs at start and every STYLIZER_RECONCILE_INTERVAL seconds, then fails the row.
- The engine process is replaced after STYLIZER_ENGINE_MAX_JOBS jobs, so what long runs
  fragment or leak goes back to the system.

Why not RQ's default (a fresh fork per job) or SimpleWorker (jobs in the worker itself):
a fresh fork per job pays a CUDA context, cuDNN set-up and the weights' copy to the GPU
every time, which bench/job_overhead.py measured at about a second a job on an H100 (a
1024 px `standard` job: 3.4 s in a fresh fork, 2.2 s in a warm engine process);
SimpleWorker cannot stop a job mid-step nor survive a crash in one.

Forking safely:
- PyTorch's OpenMP runtime (libgomp) hangs a child forked after the parent ran a parallel
  region, so the worker runs PyTorch single-threaded (it only dequantizes the weights,
  which the engine process inherits copy-on-write) and the engine sets the count back.
- CUDA cannot be used in a child forked after the parent initialised it, so the worker
  never initialises CUDA (its availability check goes through NVML).
- Apple's frameworks are not fork-safe either: on macOS use RQ's SpawnWorker for MPS.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import random
import signal
import time
from multiprocessing.connection import Connection

import redis
import torch
from django.conf import settings
from django.db import DatabaseError, connections
from rq.executions import Execution
from rq.worker import Worker

from gallery.services.queue import print_queue_name
from stylizer import capacity
from stylizer.engine import warm_up
from stylizer.process import JOB_DONE, EngineProcess, die_with, require_cuda
from stylizer.reconcile import stylization_reconcile
from stylizer.run import STOP_SIGNAL
from stylizer.threads import engine_threads
from stylizer.watch import JobWatch

log = logging.getLogger(__name__)

# Seconds between the worker's looks at a running job (RQ's job_monitoring_interval).
MONITOR_TICK = 1


class StylizerWorker(Worker):
    def __init__(self, *args, **kwargs):
        kwargs["job_monitoring_interval"] = MONITOR_TICK
        # RQ's own registry cleaning runs as often as our reconciler; both are cheap.
        kwargs["maintenance_interval"] = settings.STYLIZER_RECONCILE_INTERVAL
        super().__init__(*args, **kwargs)
        self._listen_for_prints()
        self._engine_threads = engine_threads()  # its share of the host's cores
        self._engine: EngineProcess | None = None
        self._watch: JobWatch | None = None

    # The worker process ------------------------------------------------------------

    def _listen_for_prints(self) -> None:
        """Add the print queues of the sizes this worker makes, after its own (stylizer.capacity)."""
        names = self.queue_names()
        for side in capacity.print_sides():
            name = print_queue_name(side)
            if name not in names:
                self.queues.append(
                    self.queue_class(
                        name=name,
                        connection=self.connection,
                        job_class=self.job_class,
                        serializer=self.serializer,
                        death_penalty_class=self.death_penalty_class,
                    )
                )
        self._ordered_queues = self.queues[:]

    def work(self, *args, **kwargs) -> bool:
        device = settings.STYLIZER_DEVICE  # one of the engine's DEVICES: the settings check it
        if device == "cuda":
            require_cuda()
        started = time.monotonic()
        torch.set_num_threads(1)  # no OpenMP thread pool in a process that forks (see above)
        warm_up("cpu", weights=settings.STYLIZER_TORCHVISION_WEIGHTS)
        log.info("VGG-19 loaded in %.1f s; jobs run on %s", time.monotonic() - started, device)
        log.info("listening on %s", ", ".join(self.queue_names()))
        self._start_engine()  # before RQ starts its threads: the first fork is from a single thread
        return super().work(*args, **kwargs)

    def teardown(self) -> None:
        super().teardown()
        if self._engine is not None and not self.is_horse:
            self._engine.stop()
            self._engine = None

    @property
    def dequeue_timeout(self) -> int:
        # Wake up from an idle wait at least every reconcile interval.
        return max(1, min(super().dequeue_timeout, settings.STYLIZER_RECONCILE_INTERVAL))

    def run_maintenance_tasks(self) -> None:
        # First the database side, which works while Redis is down; RQ's part may raise then.
        try:
            stylization_reconcile()
        except DatabaseError as exc:
            log.warning("reconcile failed: %s", exc)
        super().run_maintenance_tasks()

    def fork_work_horse(self, job, queue) -> None:
        """Hand the job to the engine process (RQ forks a new horse here; we fork only if none is alive)."""
        engine = self._engine
        if engine is None or not engine.alive() or engine.used_up():
            if engine is not None:
                engine.stop()
            engine = self._start_engine()
        try:
            engine.run(job.id, queue.name, self.execution.id)
        except OSError:  # it died between two jobs: a fresh one takes this job
            engine.stop()
            engine = self._start_engine()
            engine.run(job.id, queue.name, self.execution.id)
        self._horse_pid = engine.pid

    def wait_for_horse(self):
        """Until the engine process has finished the job (as if a horse exited 0) or died."""
        engine = self._engine
        if engine is None:
            return None, None, None
        if engine.wait_for_job():
            return engine.pid, os.EX_OK, None
        self._engine = None
        return engine.reap()

    def monitor_work_horse(self, job, queue, execution) -> None:
        self._watch = JobWatch(job)
        try:
            super().monitor_work_horse(job, queue, execution)
        finally:
            watch, self._watch = self._watch, None
            watch.settle()
            if self._engine is None and not self._stop_requested:
                self._start_engine()  # warms up while we wait for the next job

    def maintain_heartbeats(self, job, execution) -> None:
        """Every MONITOR_TICK while a job runs: the row's heartbeat and cancel check first
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
        if self._engine is not None:
            self._engine.signal(signum)

    def stop_horse(self, job) -> None:
        """Kill the engine process; RQ records the job as stopped rather than failed."""
        self._stopped_job_id = job.id
        self.kill_horse()

    # The engine process --------------------------------------------------------------

    def _start_engine(self) -> EngineProcess:
        connections.close_all()  # the engine must never share the worker's database sockets
        worker_pid = os.getpid()
        ours, theirs = multiprocessing.Pipe()
        pid = os.fork()
        if pid == 0:
            ours.close()
            self._engine_main(theirs, worker_pid)
        # Its own process group (RQ kills the horse's group), set from both sides so no kill
        # can come before it.
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        theirs.close()
        self._engine = EngineProcess(pid, ours)
        return self._engine

    def _engine_main(self, jobs: Connection, worker_pid: int) -> None:
        """The engine process: warm up, then run each job the worker sends, until the pipe closes."""
        try:
            with contextlib.suppress(OSError):
                os.setpgid(0, 0)  # see _start_engine
            die_with(worker_pid)
            signal.signal(STOP_SIGNAL, signal.SIG_IGN)  # until `stylization_run` handles it
            self.setup_work_horse_signals()
            self._is_horse = True
            random.seed()
            torch.set_num_threads(self._engine_threads)
            try:
                # On a GPU: the context, the weights and cuDNN, before any job.
                warm_up(settings.STYLIZER_DEVICE, exercise=True, weights=settings.STYLIZER_TORCHVISION_WEIGHTS)
            except Exception:  # the job will say what is wrong, as a message for its user
                log.exception("engine warm-up failed")
            with contextlib.suppress(EOFError):
                while True:
                    self._run_one(*jobs.recv())
                    jobs.send(JOB_DONE)
        finally:
            os._exit(0)

    def _run_one(self, job_id: str, queue_name: str, execution_id: str) -> None:
        job = self.job_class.fetch(job_id, connection=self.connection, serializer=self.serializer)
        queue = self.queue_class(
            queue_name,
            connection=self.connection,
            job_class=self.job_class,
            serializer=self.serializer,
            death_penalty_class=self.death_penalty_class,
        )
        execution = Execution.fetch(execution_id, job.id, connection=self.connection)
        self.executions = {execution.id: execution}
        self.perform_job(job, queue, execution)
