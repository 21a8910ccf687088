"""Fault handling timed with the production defaults (the tests use short intervals).

    python bench/faults.py [--database-url postgres://postgres@127.0.0.1:5432/test] [--out bench/out/faults.md]

Not a test: it takes a few minutes, because it waits out the real heartbeat, reconcile
and grace intervals. It starts a throwaway stack (bench/stack.py) with two workers
(`manage.py rqworker stylize`, CPU) and no STYLIZER_* fault settings, so the defaults
apply, and then:
1. kills -9 the engine process running a job: seconds until the row is failed;
2. kills -9 a whole worker mid-job: seconds until its engine process is gone (no orphan)
   and until the row is failed by the other worker's reconciler;
3. cancels running jobs at 512 and 1024 px (one scale, so every step is long): seconds
   until the job has ended, and the files it left;
4. cancels a queued job behind running ones: whether it ever ran;
5. wipes Redis (FLUSHALL) under running jobs and a queued one: seconds until all are failed;
and retries every failed row, which must succeed. Prints a markdown table for README.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from stack import ROOT, Stack, check_loopback

OUT = ROOT / "bench" / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="postgres://...@127.0.0.1/db (default: a SQLite file)")
    parser.add_argument("--out", default=str(OUT / "faults.md"))
    args = parser.parse_args()
    if problem := check_loopback(args.database_url):
        parser.error(f"--database-url {problem}")
    stack = Stack(
        prefix="nstsite-faults-", log_dir=Path(args.out).parent / "faults-logs", database_url=args.database_url
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("Interrupted"))
    try:
        stack.start({"STYLIZER_DEVICE": "cpu", "STYLIZER_MAX_ACTIVE_JOBS": "50", "LOG_LEVEL": "INFO"})
        rows = Faults(stack).run()
    finally:
        stack.stop()
    report = _report(rows, stack)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report)
    print(report)


class Faults:
    def __init__(self, stack: Stack):
        from django.conf import settings

        from gallery import services
        from stylizer.engine import StyleParams

        self.stack = stack
        self.settings = settings
        self.services = services
        self.long = StyleParams(size=64, steps=5000)
        self.short = StyleParams(size=64, steps=3)
        self.user, self.photo, self.style = _fixtures()
        self.workers = {}  # name -> process
        self.retry = []  # failed rows, retried at the end

    def run(self) -> list[tuple[str, str, str]]:
        self._worker()
        self._worker()
        return [
            self.kill_engine(),
            *self.kill_worker(),
            self.cancel_running(512),
            self.cancel_running(1024),
            self.cancel_queued(),
            self.flushall(),
            self.retries(),
        ]

    # The scenarios ---------------------------------------------------------------------

    def kill_engine(self):
        row, _, engine = self._running(self.long)
        os.kill(engine, signal.SIGKILL)
        seconds = self._until(row, "failed", timeout=60)
        self.retry.append(row)
        return (
            "kill -9 the job's process (the worker's engine process)",
            "row failed within 10 s",
            f"{seconds:.1f} s: {row.error_message}",
        )

    def kill_worker(self):
        row, name, engine = self._running(self.long)
        self.stack.kill(self.workers.pop(name))
        started = time.monotonic()
        while _running_pid(engine):
            time.sleep(0.05)
        orphan = time.monotonic() - started
        seconds = self._until(row, "failed", timeout=300)
        self._worker()
        self.retry.append(row)
        settings = self.settings
        limits = f"heartbeat {settings.STYLIZER_HEARTBEAT_INTERVAL:g} s, stale after "
        limits += f"{settings.STYLIZER_STALE_AFTER:g} s, reconcile every {settings.STYLIZER_RECONCILE_INTERVAL} s"
        return [
            ("kill -9 a whole worker mid-job: its engine process", "no orphan left", f"gone after {orphan:.2f} s"),
            (
                "kill -9 a whole worker mid-job: the row",
                "failed within 3 min",
                f"{seconds:.1f} s ({limits}): {row.error_message}",
            ),
        ]

    def cancel_running(self, size: int):
        from rq.job import Job

        from stylizer.engine import StyleParams

        row, _, _ = self._running(StyleParams(size=size, steps=5, multiscale=False), progress=False)
        time.sleep(3)  # into the targets and the first (long) step
        self.services.stylization_cancel(stylization=row)
        started = time.monotonic()
        while Job.fetch(row.job_id, connection=self.stack.redis()).get_status() in ("queued", "started"):
            time.sleep(0.02)
        stopped = time.monotonic() - started
        row.refresh_from_db()
        folder = Path(self.settings.MEDIA_ROOT) / "results" / str(row.pk)
        partial = Path(self.settings.MEDIA_ROOT) / ".partial"
        left = [path.name for where in (folder, partial) if where.exists() for path in where.iterdir()]
        outcome = f"stopped {stopped:.2f} s after the cancel; row {row.status}; files left: {left or 'none'}"
        return (f"cancel a running job at {size} px (one step ≈ {_step_seconds(size)})", "stops within 5 s", outcome)

    def cancel_queued(self):
        ahead = self._occupy_workers()
        waiting = self._create(self.long)
        self.services.stylization_cancel(stylization=waiting)
        for row in ahead:
            self.services.stylization_cancel(stylization=row)
        follower = self._create(self.short)
        self._until(follower, "succeeded", timeout=120)
        waiting.refresh_from_db()
        ran = waiting.started_at is not None
        return ("cancel a queued job", "never runs", "it ran" if ran else f"never ran; row {waiting.status}")

    def flushall(self):
        running = self._occupy_workers()
        queued = self._create(self.long)
        self.stack.redis().flushall()
        started = time.monotonic()
        for row in [*running, queued]:
            self._until(row, "failed", timeout=300, started=started)
        seconds = time.monotonic() - started
        self.retry += [*running, queued]
        grace = f"queue grace {self.settings.STYLIZER_QUEUE_GRACE:g} s, reconcile every "
        grace += f"{self.settings.STYLIZER_RECONCILE_INTERVAL} s"
        return (
            "Redis FLUSHALL under running jobs and a queued one",
            "all failed, with a clear message",
            f"all failed after {seconds:.1f} s ({grace}): {queued.error_message}",
        )

    def retries(self):
        from gallery.models import Stylization

        for row in self.retry:
            Stylization.objects.filter(pk=row.pk).update(params=self.short.to_json())
            self.services.stylization_retry(stylization=row)
        for row in self.retry:
            self._until(row, "succeeded", timeout=300)
        return ("retry each failed row", "succeeds", f"all {len(self.retry)} succeeded")

    # Helpers ---------------------------------------------------------------------------

    def _worker(self) -> None:
        [name] = self.stack.start_workers(1)
        self.stack.wait_for_workers([name])
        self.workers[name] = self.stack.processes[-1]

    def _create(self, params):
        return self.services.stylization_create(
            owner=self.user, photo=self.photo, styles=[(self.style, 1.0)], params=params
        )

    def _occupy_workers(self) -> list:
        """One long job running on every worker, so the next one stays queued."""
        return [self._running(self.long)[0] for _ in self.workers]

    def _running(self, params, *, progress: bool = True):
        """A new job once it runs (and has made a step, with `progress`): the row, the name
        of the worker running it and the pid of that worker's engine process."""
        from rq.job import Job

        row = self._create(params)
        deadline = time.monotonic() + 120
        while True:
            row.refresh_from_db()
            if row.status == "running" and (row.step >= 1 or not progress):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"job never ran: {row.status}")
            time.sleep(0.05)
        name = Job.fetch(row.job_id, connection=self.stack.redis()).worker_name
        [engine] = _children(self.workers[name].pid)
        return row, name, engine

    def _until(self, row, status: str, *, timeout: float, started: float | None = None) -> float:
        """Seconds (from `started`, or now) until the row, read from the database, has `status`."""
        started = started or time.monotonic()
        while True:
            row.refresh_from_db()
            if row.status == status:
                return time.monotonic() - started
            if row.status in ("succeeded", "failed", "cancelled") and row.status != status:
                raise RuntimeError(f"row {row.pk} ended {row.status}: {row.error_message}")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"row {row.pk} still {row.status} after {timeout} s")
            self.stack.check_alive()
            time.sleep(0.05)


def _fixtures():
    from django.contrib.auth.models import User
    from django.core.files.base import ContentFile
    from PIL import Image

    from gallery import services

    def picture(size, effect) -> ContentFile:
        import io

        buffer = io.BytesIO()
        effect(size).convert("RGB").save(buffer, "PNG")
        return ContentFile(buffer.getvalue(), name="picture.png")

    user = User.objects.create_user("faults", password="not-used-here-1")
    gradient = picture((400, 300), lambda size: Image.radial_gradient("L").resize(size))
    photo = services.photo_create(owner=user, file=gradient)
    style = services.style_create(title="Noise", file=picture((256, 256), lambda size: Image.effect_noise(size, 64)))
    return user, photo, style


def _step_seconds(size: int) -> str:
    return {512: "3 s", 1024: "12 s"}.get(size, "?") + " on a 2-core CPU"


def _children(pid: int) -> list[int]:
    """Live children of `pid`, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        if int(parent) == pid and state != "Z":
            found.append(int(stat.parent.name))
    return found


def _running_pid(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _report(rows: list[tuple[str, str, str]], stack: Stack) -> str:
    lines = [
        f"Faults: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, two CPU workers, "
        f"default STYLIZER_* settings; {stack.backends()}.",
        "",
        "| fault | the issue asks | measured |",
        "|---|---|---|",
        *(f"| {fault} | {target} | {measured} |" for fault, target, measured in rows),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
