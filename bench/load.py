"""Load test: concurrent API clients listing and polling while stylization jobs run.

    python bench/load.py [--clients 50] [--duration 60] [--web-workers 3] [--web-threads 2]
                         [--rq-workers 1] [--job-size 64] [--job-steps 5]
                         [--database-url postgres://postgres@127.0.0.1:5432/test] [--redis-url ...]

Not a test (pytest does not collect bench/). It builds a throwaway stack in a temp dir:
a fresh database (a SQLite file; or, with --database-url, a new PostgreSQL database next
to the one named, dropped afterwards), Redis (an embedded redis-server on a unix socket;
or, with --redis-url, an empty Redis database that is flushed afterwards), N users with
API tokens, a photo each and a curated style; then gunicorn (DEBUG=false, a throwaway
SECRET_KEY, ALLOWED_HOSTS=127.0.0.1) on a free 127.0.0.1 port and `manage.py rqworker
stylize` worker(s).

Each client (asyncio, one keep-alive HTTP/1.1 connection, its own token) creates a tiny
stylization with an `Idempotency-Key` and at once repeats that POST with the same key
(a client retrying after a lost answer); then, until the window closes, it lists its
stylizations and polls its job, alternately, with a think time of about a second (what
the result page does), and creates its next job when the last one has finished.

Then it waits (bounded) for the queue to drain and checks that no job was lost or
doubled: every row the clients created succeeded, on its first attempt; RQ ran each job
once (one result per job id); no Idempotency-Key got two rows; the queue and the
started/failed registries are empty; the database holds no row a client was not told
about. Prints a markdown table for README.md and writes it to --out (+ .json with the
raw numbers, + the servers' logs beside it).

Loopback only: everything listens on 127.0.0.1 or a unix socket, and external database
or Redis URLs must point there. Bounded: clients, duration, jobs and every wait are
capped; everything started is stopped (process groups killed) on exit, failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import secrets
import signal
import socket
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from stack import ROOT, Stack, check_loopback

OUT = ROOT / "bench" / "out"
LIMITS = {"clients": 200, "duration": 600, "max_jobs": 2000, "drain_timeout": 900, "job_size": 256, "job_steps": 50}
REQUEST_TIMEOUT = 30.0
WEB_START_TIMEOUT = 60.0
KINDS = {
    "list": "list `GET /api/v1/stylizations/`",
    "poll": "poll `GET /api/v1/stylizations/{id}/`",
    "create": "create `POST /api/v1/stylizations/`",
}
FINISHED = {"succeeded", "failed", "cancelled"}


def main() -> None:
    args = _arguments()
    signal.signal(signal.SIGTERM, _interrupt)
    stack = LoadStack(args)
    try:
        stack.start()
        print(f"Stack up: {stack.describe()}", flush=True)
        run = asyncio.run(_load(args, stack))
        jobs = stack.drain_and_verify(run)
    except KeyboardInterrupt:
        sys.exit("Interrupted; stack stopped.")
    finally:
        stack.stop()
    report = _report(args, stack, run, jobs)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    out.with_suffix(".json").write_text(json.dumps(_raw(args, stack, run, jobs), indent=2, default=str))
    print(report)
    print(f"Written to {out} and {out.with_suffix('.json')}; logs in {stack.log_dir}")
    if not jobs["ok"]:
        sys.exit(1)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent API clients (default 50)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a client's requests")
    parser.add_argument("--ramp", type=float, default=5.0, help="clients start at random within this many seconds")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn worker processes (default 3)")
    parser.add_argument("--web-threads", type=int, default=2, help="threads per gunicorn worker (default 2)")
    parser.add_argument("--rq-workers", type=int, default=1, help="RQ worker processes (default 1)")
    parser.add_argument(
        "--reuse-port",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="gunicorn --reuse-port: a listening socket per web process, among which the kernel spreads new "
        "connections (default on; without it whichever process wakes first takes a burst of connections)",
    )
    parser.add_argument(
        "--idle-workers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the RQ workers at idle CPU priority (SCHED_IDLE), as if on machines of their own (default on)",
    )
    parser.add_argument("--torch-threads", type=int, default=1, help="OMP/MKL threads per RQ worker (default 1)")
    parser.add_argument(
        "--pause-workers",
        action="store_true",
        help="stop the RQ workers (SIGSTOP) while the clients run, resume them (SIGCONT) for the drain: "
        "reads measured with no job painting",
    )
    parser.add_argument("--job-size", type=int, default=64, help="long side of each stylization, px (default 64)")
    parser.add_argument("--job-steps", type=int, default=5, help="optimizer steps per stylization (default 5)")
    parser.add_argument("--max-jobs", type=int, default=300, help="cap on stylizations created (default 300)")
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="seconds to wait for the queue to drain")
    parser.add_argument(
        "--database-url",
        default="",
        help="postgres://user@127.0.0.1:5432/db: a fresh database is created beside it and dropped afterwards "
        "(default: a fresh SQLite file in the temp dir)",
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="redis://127.0.0.1:6379/N, an empty database, flushed afterwards (default: an embedded redis-server)",
    )
    parser.add_argument("--out", default=str(OUT / "load.md"), help="markdown report (default bench/out/load.md)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the think-time jitter")
    args = parser.parse_args()
    for name, cap in LIMITS.items():
        value = getattr(args, name)
        if not 0 < value <= cap:
            parser.error(f"--{name.replace('_', '-')} must be in 1..{cap}, not {value}")
    if args.job_size < 16:
        parser.error("--job-size must be at least 16")
    for name in ("database_url", "redis_url"):
        if problem := check_loopback(getattr(args, name)):
            parser.error(f"--{name.replace('_', '-')} {problem}")
    if args.database_url and urlsplit(args.database_url).scheme not in ("postgres", "postgresql"):
        parser.error("--database-url takes a postgres:// URL (leave it out for a fresh SQLite file)")
    return args


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


# The stack ---------------------------------------------------------------------------


class LoadStack(Stack):
    """The throwaway stack, N users with tokens and photos, gunicorn and the RQ workers."""

    def __init__(self, args: argparse.Namespace):
        super().__init__(
            prefix="nstsite-load-",
            log_dir=Path(args.out).parent / "load-logs",
            database_url=args.database_url,
            redis_url=args.redis_url,
        )
        self.args = args
        self.port = 0
        self.users: list[tuple[str, str, str]] = []  # (token, photo id, style id)

    @property
    def access_log(self) -> Path:
        return self.log_dir / "gunicorn-access.log"

    def start(self) -> None:
        super().start(
            {
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; production sits behind TLS
                # API rate limits counted in Redis, shared by every gunicorn worker, as in production.
                "CACHE_URL": self.redis_url,
                "STYLIZER_DEVICE": "cpu",
                "STYLIZER_SIZES": str(self.args.job_size),
                "LOG_LEVEL": "WARNING",
                # A stopped worker's running job beats no heartbeat: not a lost worker here.
                **({"STYLIZER_STALE_AFTER": str(self.args.duration + 300)} if self.args.pause_workers else {}),
            }
        )
        self._populate()
        names = self.start_workers(
            self.args.rq_workers,
            idle=self.args.idle_workers,
            env={"OMP_NUM_THREADS": str(self.args.torch_threads), "MKL_NUM_THREADS": str(self.args.torch_threads)},
        )
        self.wait_for_workers(names)
        self._start_web()

    def _populate(self) -> None:
        from django.contrib.auth.models import User
        from django.core.files.base import ContentFile
        from django.core.management import call_command

        from gallery import services

        call_command("migrate", interactive=False, verbosity=0)
        style = services.style_create(title="Load test", file=ContentFile(_picture(96, 96, seed=1), name="style.png"))
        for index in range(self.args.clients):
            user = User.objects.create_user(f"load{index}", password=secrets.token_urlsafe(16))
            photo = services.photo_create(owner=user, file=ContentFile(_picture(96, 72, seed=index), name="photo.png"))
            token = services.auth_token_get_or_create(user=user).key
            self.users.append((token, str(photo.pk), str(style.pk)))

    def _start_web(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [
            sys.executable, "-m", "gunicorn", "nstsite.wsgi",
            "--bind", f"127.0.0.1:{self.port}",
            "--worker-class", "gthread",
            "--workers", str(self.args.web_workers),
            "--threads", str(self.args.web_threads),
            "--keep-alive", "75",
            *(["--reuse-port"] if self.args.reuse_port else []),
            "--no-control-socket",  # gunicorn 27 would otherwise put one in ~/.gunicorn, shared by every run
            "--error-logfile", "-",
            # Each request's time inside gunicorn (from its first byte read to its last written),
            # beside what the clients measure: the difference is time spent waiting to be read.
            "--access-logfile", str(self.access_log),
            "--access-logformat", "%(m)s %(U)s %(s)s %(D)s",
        ]  # fmt: skip
        self.spawn("gunicorn", command)
        deadline = time.monotonic() + WEB_START_TIMEOUT
        while True:
            self.check_alive()
            with contextlib.suppress(OSError):
                status, _ = asyncio.run(_probe(self.port, self.users[0][0]))
                if status == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within {WEB_START_TIMEOUT:.0f} s")
            time.sleep(0.3)

    def describe(self) -> str:
        return (
            f"gunicorn gthread {self.args.web_workers} workers x {self.args.web_threads} threads "
            f"(keep-alive 75 s, {'--reuse-port' if self.args.reuse_port else 'one shared listening socket'}, "
            f"DEBUG=false) on 127.0.0.1:{self.port}; {self.backends()}; "
            f"{self.args.rq_workers} RQ worker(s) (`manage.py rqworker stylize`, CPU, {self._priority()}, "
            f"{self.args.torch_threads} torch thread(s)); jobs {self.args.job_size} px, {self.args.job_steps} steps"
        )

    def signal_workers(self, signum: int) -> None:
        for process in self.processes:
            if process.name.startswith("bench-worker-") and process.poll() is None:
                os.killpg(process.pid, signum)

    def _priority(self) -> str:
        return "SCHED_IDLE: only CPU time the web tier leaves" if self.args.idle_workers else "normal priority"

    def drain_and_verify(self, run: Run) -> dict:
        """Wait until no row is queued or running (bounded), then check nothing was lost or doubled."""
        import django_rq
        from django.conf import settings
        from rq.exceptions import NoSuchJobError
        from rq.job import Job
        from rq.registry import FailedJobRegistry, StartedJobRegistry
        from rq.results import Result

        from gallery.models import Stylization

        active = Stylization.objects.filter(status__in=Stylization.ACTIVE_STATUSES)
        started = time.monotonic()
        deadline = started + self.args.drain_timeout
        while active.exists() and time.monotonic() < deadline:
            self.check_alive()
            time.sleep(1)
        drain_seconds = time.monotonic() - started
        queue = django_rq.get_queue(settings.RQ_QUEUE)
        rows = list(Stylization.objects.all())
        runs: Counter = Counter()
        for row in rows:
            try:
                results = Job.fetch(row.job_id, connection=queue.connection).results()
            except NoSuchJobError:  # gone from Redis: it cannot be shown to have run once
                results = []
            runs[sum(result.type == Result.Type.SUCCESSFUL for result in results)] += 1
        told = {pk for ids in run.created_ids.values() for pk in ids}
        doubled_keys = {key: ids for key, ids in run.created_ids.items() if len(ids) > 1}
        jobs = {
            "created": len(rows),
            "statuses": dict(Counter(row.status for row in rows)),
            "not_succeeded": [str(row.pk) for row in rows if row.status != Stylization.Status.SUCCEEDED],
            "not_first_attempt": [str(row.pk) for row in rows if row.attempt != 1],
            "never_started": [str(row.pk) for row in rows if row.started_at is None],
            "rq_successful_runs": {str(count): number for count, number in sorted(runs.items())},
            "doubled_keys": doubled_keys,
            "rows_no_client_was_told_of": [str(row.pk) for row in rows if str(row.pk) not in told],
            "queue_left": queue.count,
            "started_left": StartedJobRegistry(queue=queue).count,
            "failed_registry": FailedJobRegistry(queue=queue).count,
            "drained": not active.exists(),
            "drain_seconds": round(drain_seconds, 1),
            "duplicates": dict(run.duplicates),
            "jobs_per_minute": _jobs_per_minute(rows),
        }
        jobs["ok"] = (
            jobs["drained"]
            and not jobs["not_succeeded"]
            and not jobs["not_first_attempt"]
            and not jobs["never_started"]
            and set(runs) == {1}
            and not doubled_keys
            and not jobs["rows_no_client_was_told_of"]
            and not (jobs["queue_left"] or jobs["started_left"] or jobs["failed_registry"])
        )
        return jobs


def _jobs_per_minute(rows) -> float:
    """Succeeded jobs per minute, from the first create to the last finish (the workers'
    throughput while the clients keep the queue full)."""
    succeeded = [row for row in rows if row.status == "succeeded" and row.finished_at]
    if not succeeded:
        return 0.0
    span = max(row.finished_at for row in succeeded) - min(row.created_at for row in rows)
    return round(len(succeeded) * 60 / max(span.total_seconds(), 1e-6), 1)


def _picture(width: int, height: int, *, seed: int) -> bytes:
    """A small PNG with some structure (stripes and a gradient), different per seed."""
    import io

    from PIL import Image

    rng = random.Random(seed)
    base = [rng.randrange(256) for _ in range(3)]
    image = Image.new("RGB", (width, height))
    image.putdata(
        [
            tuple((base[c] + x * 3 + (y // 6) * 40 * (c + 1)) % 256 for c in range(3))
            for y in range(height)
            for x in range(width)
        ]
    )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# A minimal HTTP/1.1 keep-alive client -------------------------------------------------


class HttpError(Exception):
    """The connection failed or the answer was not HTTP."""


class Connection:
    """One persistent connection to 127.0.0.1, one request at a time (like a browser tab's poller).

    The standard library rather than httpx: no new dependency, and on a 2-core machine the
    client's own CPU time counts, so the less it does per request the better.
    """

    def __init__(self, port: int, token: str):
        self.port = port
        self.token = token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        try:
            return await asyncio.wait_for(self._request(method, path, body, headers or {}), REQUEST_TIMEOUT)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.close()
            raise HttpError(f"{type(exc).__name__}: {exc}") from exc

    async def _request(self, method: str, path: str, body: dict | None, headers: dict) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        payload = json.dumps(body).encode() if body is not None else b""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            f"Authorization: Token {self.token}",
            "Accept: application/json",
            f"Content-Length: {len(payload)}",
            *(["Content-Type: application/json"] if body is not None else []),
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split()[1])
        response_headers = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            response_headers[name.strip().lower()] = value.strip()
        if "content-length" in response_headers:
            content = await self.reader.readexactly(int(response_headers["content-length"]))
        elif response_headers.get("transfer-encoding", "").lower() == "chunked":
            content = b""
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                content += await self.reader.readexactly(size)
                await self.reader.readline()
            await self.reader.readline()
        else:
            content = await self.reader.read()
            self.close()
        if response_headers.get("connection", "").lower() == "close":
            self.close()
        return status, content

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _probe(port: int, token: str) -> tuple[int, bytes]:
    connection = Connection(port, token)
    try:
        return await connection.request("GET", "/api/v1/me/")
    except HttpError as exc:
        raise OSError(str(exc)) from exc
    finally:
        connection.close()


# The clients -------------------------------------------------------------------------


@dataclass
class Run:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    connection_errors: Counter = field(default_factory=Counter)
    created_ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # Idempotency-Key -> ids
    duplicates: Counter = field(default_factory=Counter)  # what the repeated POST got
    creates: int = 0  # POSTs sent, bounded by --max-jobs
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # cores each role used while the clients ran
    web_workers: list[tuple[int, float]] = field(default_factory=list)  # per gunicorn worker: connections, cores
    server_reads: list[float] = field(default_factory=list)  # ms inside gunicorn per list/poll


async def _load(args: argparse.Namespace, stack: LoadStack) -> Run:
    run = Run()
    rng = random.Random(args.seed)
    run_id = secrets.token_hex(4)
    connections = [Connection(stack.port, token) for token, _, _ in stack.users]
    # Not measured: every client opens its connection, and every gunicorn worker loads the
    # URLconf (every view, form, serializer and service) before the clock runs.
    await asyncio.gather(*(connection.request("GET", "/api/v1/me/") for connection in connections))
    print(f"{args.clients} clients for {args.duration:g} s ...", flush=True)
    if args.pause_workers:
        stack.signal_workers(signal.SIGSTOP)
    cpu_before, web_before = _cpu_seconds(stack), _web_workers(stack)
    log_offset = stack.access_log.stat().st_size if stack.access_log.exists() else 0
    started = time.monotonic()
    deadline = started + args.duration
    try:
        await asyncio.gather(
            *(
                _client(index, connection, args, stack, run, random.Random(rng.random()), deadline, f"{run_id}-{index}")
                for index, connection in enumerate(connections)
            )
        )
    finally:
        run.seconds = time.monotonic() - started
        cpu_after, web_after = _cpu_seconds(stack), _web_workers(stack)
        if args.pause_workers:
            stack.signal_workers(signal.SIGCONT)
    run.cpu = {role: round((cpu_after[role] - cpu_before.get(role, 0.0)) / run.seconds, 2) for role in cpu_after}
    run.server_reads = _server_read_times(stack.access_log, log_offset)
    run.web_workers = sorted(
        (
            (connections, round((web_after[pid][1] - cpu) / run.seconds, 2))
            for pid, (connections, cpu) in web_before.items()
            if pid in web_after
        ),
        reverse=True,
    )
    return run


def _server_read_times(access_log: Path, offset: int) -> list[float]:
    """Milliseconds gunicorn took for each list or poll (GET /api/v1/stylizations/...) logged
    after `offset`: the access log's %(D)s, microseconds."""
    times = []
    with contextlib.suppress(OSError), open(access_log, "rb") as log:
        log.seek(offset)
        for line in log.read().decode(errors="replace").splitlines():
            method, path, _, micros = (line.split() + ["", "", "", ""])[:4]
            if method == "GET" and path.startswith("/api/v1/stylizations/") and micros.isdigit():
                times.append(int(micros) / 1000)
    return times


def _web_workers(stack: LoadStack) -> dict[int, tuple[int, float]]:
    """Each gunicorn worker process: the clients' connections it holds, its CPU seconds so far."""
    import psutil

    arbiter = next(process for process in stack.processes if process.name == "gunicorn")
    workers = {}
    for worker in psutil.Process(arbiter.pid).children():
        with contextlib.suppress(psutil.Error):
            connections = worker.net_connections("tcp")
            held = [c for c in connections if c.status == "ESTABLISHED" and c.laddr.port == stack.port]
            times = worker.cpu_times()
            workers[worker.pid] = (len(held), times.user + times.system)
    return workers


def _cpu_seconds(stack: LoadStack) -> Counter:
    """CPU seconds so far of each role on the machine, from /proc (Linux): the processes the
    stack started and their descendants (gunicorn, the workers and their engine processes,
    the S3 server), this process (the clients), PostgreSQL's and Redis' processes;
    descendants that exited count through their parent's children's time. `total` is
    /proc/stat's busy time of all CPUs, and "everything else" the rest of it (other users
    of the machine)."""
    tick = os.sysconf("SC_CLK_TCK")
    started = {process.pid: _role(process.name) for process in stack.processes}
    table: dict[int, tuple[int, str, int, int]] = {}  # pid -> (parent, name, own ticks, children's ticks)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # it exited meanwhile
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        ticks = [int(value) for value in fields[11:15]]  # utime, stime, cutime, cstime
        table[int(entry.name)] = (int(fields[1]), name, ticks[0] + ticks[1], ticks[2] + ticks[3])
    seconds: Counter = Counter()
    for pid, (_, name, own, children) in table.items():
        ancestor = pid
        while ancestor not in started and ancestor in table and ancestor > 1:
            ancestor = table[ancestor][0]
        if ancestor in started:
            role = started[ancestor]
            own += children if pid == ancestor else 0
        elif pid == os.getpid():
            role = "clients (load generator)"
        elif name.startswith("postgres"):
            role = "PostgreSQL"
        elif name.startswith("redis"):
            role = "Redis"
        else:
            continue  # other users of the machine: counted as the rest of the busy time below
        seconds[role] += own / tick
    busy = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    seconds["total"] = (sum(busy) - busy[3] - busy[4]) / tick  # all but idle and iowait
    # What no process above accounts for: processes that came and went (and whose parent is
    # not the stack's), the kernel's own threads.
    seconds["everything else"] = seconds["total"] - sum(value for role, value in seconds.items() if role != "total")
    return seconds


def _role(process_name: str) -> str:
    return "RQ workers" if process_name.startswith("bench-worker-") else process_name


async def _client(
    index: int,
    connection: Connection,
    args: argparse.Namespace,
    stack: LoadStack,
    run: Run,
    rng: random.Random,
    deadline: float,
    key_prefix: str,
) -> None:
    _, photo, style = stack.users[index]
    options = {"size": args.job_size, "steps": args.job_steps, "preset": "draft", "seed": 0}
    payload = {"photo": photo, "styles": [{"style": style}], "options": options}
    keys = (f"{key_prefix}-{number}" for number in range(args.max_jobs))

    async def call(kind: str, method: str, path: str, body=None, headers=None) -> tuple[int, dict] | None:
        begun = time.perf_counter()
        try:
            status, content = await connection.request(method, path, body, headers)
        except HttpError as exc:
            run.connection_errors[kind] += 1
            print(f"client {index}: {method} {path}: {exc}", file=sys.stderr)
            return None
        run.latencies[kind].append((time.perf_counter() - begun) * 1000)
        run.statuses[kind][status] += 1
        try:
            return status, json.loads(content) if content else {}
        except ValueError:
            return status, {}

    async def create(key: str) -> str | None:
        """POST one stylization under `key`; its id, or None (the caller retries with the same key)."""
        if run.creates >= args.max_jobs:
            return None
        run.creates += 1
        answer = await call("create", "POST", "/api/v1/stylizations/", payload, {"Idempotency-Key": key})
        if answer and 200 <= answer[0] < 300 and "id" in answer[1]:
            run.created_ids[key].add(answer[1]["id"])
            return answer[1]["id"]
        return None

    async def think() -> None:
        await asyncio.sleep(min(rng.uniform(0.5, 1.5) * args.think, max(0.0, deadline - time.monotonic())))

    try:
        # Clients arrive over the first --ramp seconds, as users do, not all in one millisecond.
        await asyncio.sleep(rng.uniform(0, args.ramp))
        key = next(keys)
        job = await create(key)
        # The same POST again, as a client does when the first answer was lost: it must not
        # make a second stylization (the same row comes back, or an error).
        again = await create(key)
        run.duplicates["no answer" if again is None else "same stylization" if again == job else "new stylization"] += 1
        if job is not None:
            key = next(keys)
        while time.monotonic() < deadline:
            await call("list", "GET", "/api/v1/stylizations/")
            await think()
            if time.monotonic() >= deadline:
                break
            status = None
            if job is not None:
                answer = await call("poll", "GET", f"/api/v1/stylizations/{job}/")
                status = answer[1].get("status") if answer and answer[0] == 200 else None
            if (job is None or status in FINISHED) and (created := await create(key)) is not None:
                job, key = created, next(keys)
            await think()
    finally:
        connection.close()


# The report --------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


def _row(label: str, latencies: list[float], statuses: Counter, connection_errors: int) -> str:
    non_2xx = {status: count for status, count in sorted(statuses.items()) if not 200 <= status < 300}
    errors = ", ".join(f"{count}×{status}" for status, count in non_2xx.items()) or "0"
    server_errors = sum(count for status, count in non_2xx.items() if status >= 500)
    cells = [f"{_percentile(latencies, q):.1f}" for q in (0.5, 0.95, 0.99)] + [f"{max(latencies, default=0):.1f}"]
    return f"| {label} | {len(latencies)} | {' | '.join(cells)} | {errors} | {server_errors} | {connection_errors} |"


def _report(args: argparse.Namespace, stack: LoadStack, run: Run, jobs: dict) -> str:
    reads = run.latencies["list"] + run.latencies["poll"]
    read_statuses = run.statuses["list"] + run.statuses["poll"]
    read_p95 = _percentile(reads, 0.95)
    server_errors = sum(count for kind in KINDS for status, count in run.statuses[kind].items() if status >= 500)
    total = sum(len(values) for values in run.latencies.values())
    lines = [
        f"Load test: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f} at the end), {args.clients} clients × {run.seconds:.0f} s, "
        f"clients starting within the first {args.ramp:g} s, think time {args.think:g} s ± 50%, "
        f"{total / run.seconds:.0f} requests/s.",
        "",
        f"Stack: {stack.describe()}. The clients, the web server and the job workers share this machine's CPUs; "
        "in production the jobs run on separate GPU machines.",
        "",
        "| request | count | p50 ms | p95 ms | p99 ms | max ms | non-2xx | 5xx | connection errors |",
        "|---|---|---|---|---|---|---|---|---|",
        *(
            _row(label, run.latencies[kind], run.statuses[kind], run.connection_errors[kind])
            for kind, label in KINDS.items()
        ),
        _row(
            "**all reads** (list + poll)",
            reads,
            read_statuses,
            run.connection_errors["list"] + run.connection_errors["poll"],
        ),
        "",
        f"Inside gunicorn (its access log) the same reads took p50 {_percentile(run.server_reads, 0.5):.1f} / "
        f"p95 {_percentile(run.server_reads, 0.95):.1f} / p99 {_percentile(run.server_reads, 0.99):.1f} ms "
        f"({len(run.server_reads)} logged); the rest of what the clients measured was waiting to be read.",
        "",
        f"Reads p95 {read_p95:.1f} ms (target < 50 ms): {'met' if read_p95 < 50 else 'NOT met'}. "
        f"5xx: {server_errors} (target 0): {'met' if server_errors == 0 else 'NOT met'}.",
        "",
        "| jobs created | succeeded | not succeeded | not 1st attempt | RQ runs per job | keys with 2 rows "
        "| repeated POST got | queue / started / failed left | drained in |",
        "|---|---|---|---|---|---|---|---|---|",
        "| {} | {} | {} | {} | {} | {} | {} | {} / {} / {} | {} |".format(
            jobs["created"],
            jobs["statuses"].get("succeeded", 0),
            len(jobs["not_succeeded"]),
            len(jobs["not_first_attempt"]),
            ", ".join(f"{number} ran {count}×" for count, number in jobs["rq_successful_runs"].items()),
            len(jobs["doubled_keys"]),
            ", ".join(f"{count} {what}" for what, count in sorted(jobs["duplicates"].items())),
            jobs["queue_left"],
            jobs["started_left"],
            jobs["failed_registry"],
            f"{jobs['drain_seconds']:.0f} s" if jobs["drained"] else f"NOT drained after {jobs['drain_seconds']:.0f} s",
        ),
        "",
        "Jobs: " + ("none lost, none doubled." if jobs["ok"] else "PROBLEM: " + _job_problems(jobs)),
        f"Throughput: {jobs['jobs_per_minute']:.1f} jobs/minute (succeeded jobs, first create to last finish).",
        "",
        "CPU while the clients ran, in cores (of "
        f"{os.cpu_count()}): "
        + ", ".join(f"{role} {cores:.2f}" for role, cores in sorted(run.cpu.items(), key=lambda item: -item[1]))
        + (". The workers were stopped (SIGSTOP) while the clients ran." if args.pause_workers else ".")
        + f" gunicorn's CPU per request: {run.cpu.get('gunicorn', 0) * run.seconds * 1000 / max(total, 1):.1f} ms."
        + " Each gunicorn worker's share: "
        + ", ".join(f"{connections} connections, {cores:.2f} cores" for connections, cores in run.web_workers)
        + ".",
    ]
    return "\n".join(lines) + "\n"


def _job_problems(jobs: dict) -> str:
    problems = []
    if not jobs["drained"]:
        problems.append("rows still queued or running after the drain timeout")
    if jobs["not_succeeded"]:
        problems.append(f"{len(jobs['not_succeeded'])} rows did not succeed ({jobs['statuses']})")
    if jobs["not_first_attempt"] or jobs["never_started"]:
        problems.append("rows retried or never started")
    if set(jobs["rq_successful_runs"]) != {"1"}:
        problems.append(f"RQ successful runs per job: {jobs['rq_successful_runs']}")
    if jobs["doubled_keys"]:
        problems.append(f"{len(jobs['doubled_keys'])} Idempotency-Keys made two rows (does the server honour it?)")
    if jobs["rows_no_client_was_told_of"]:
        problems.append(f"{len(jobs['rows_no_client_was_told_of'])} rows no client was told about")
    if jobs["queue_left"] or jobs["started_left"] or jobs["failed_registry"]:
        problems.append("jobs left in the queue or the started/failed registries")
    return "; ".join(problems) + "."


def _raw(args: argparse.Namespace, stack: LoadStack, run: Run, jobs: dict) -> dict:
    return {
        "arguments": vars(args),
        "stack": stack.describe(),
        "seconds": run.seconds,
        "cpu_cores": run.cpu,
        "server_read_ms": run.server_reads,
        "web_workers_connections_cores": run.web_workers,
        "latencies_ms": run.latencies,
        "statuses": {kind: dict(counts) for kind, counts in run.statuses.items()},
        "connection_errors": dict(run.connection_errors),
        "idempotency_keys": {key: sorted(ids) for key, ids in run.created_ids.items()},
        "jobs": jobs,
    }


if __name__ == "__main__":
    main()
