"""A throwaway nstsite for benchmarks (bench/load.py, bench/faults.py): a fresh database,
Redis and media folder in a temp dir, the processes started on them, and `stop()`,
which undoes all of it even after a failure or Ctrl-C.

- Database: a fresh SQLite file; or, with `database_url` (postgres://, loopback), a new
  PostgreSQL database created beside the one named and dropped afterwards.
- Redis: an embedded redis-server on a unix socket; or, with `redis_url` (loopback), an
  empty Redis database that is flushed afterwards.
Everything listens on 127.0.0.1 or a unix socket. This process sets its environment to
the stack's and calls `django.setup()`, so the benchmark can use the services directly.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "localhost", "::1", ""}  # "" = a unix socket
WORKER_START_TIMEOUT = 180.0  # a worker loads VGG-19 before it registers


def check_loopback(url: str) -> str | None:
    """Why `url` may not be used (it is not on this machine), or None."""
    if url and urlsplit(url).hostname not in LOOPBACK | {None}:
        return f"must point at 127.0.0.1 or a unix socket: {url}"
    return None


class Stack:
    def __init__(self, *, prefix: str, log_dir: Path, database_url: str = "", redis_url: str = ""):
        self.tmp = Path(tempfile.mkdtemp(prefix=prefix))
        self.log_dir = Path(log_dir)
        self.database_url = database_url
        self.redis_url = redis_url
        self.processes: list[subprocess.Popen] = []
        self.killed: set[int] = set()  # pids killed on purpose (bench/faults.py)
        self.logs: list = []
        self.redis_server = None
        self.flush_redis = False
        self.pg_admin_url = ""
        self.pg_database = ""
        self.env = dict(os.environ)

    def start(self, env: dict[str, str]) -> None:
        """Database, Redis and folders up, `env` on top of the stack's own, migrated."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        (self.tmp / "static").mkdir()  # WhiteNoise wants STATIC_ROOT to exist
        sys.path.insert(0, str(ROOT))
        self.redis_url = self._redis()
        self.database_url = self._database()
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "nstsite.settings",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "MEDIA_ROOT": str(self.tmp / "media"),
                "STATIC_ROOT": str(self.tmp / "static"),
                "VAR_DIR": str(self.tmp / "var"),
                "PYTHONUNBUFFERED": "1",
                **env,
            }
        )
        os.environ.update(self.env)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", interactive=False, verbosity=0)

    def _database(self) -> str:
        if not self.database_url:
            return f"sqlite:///{self.tmp / 'bench.sqlite3'}"
        import psycopg

        self.pg_admin_url = self.database_url
        self.pg_database = f"nstsite_bench_{secrets.token_hex(4)}"
        with psycopg.connect(self.pg_admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.pg_database}"')
        return urlunsplit(urlsplit(self.pg_admin_url)._replace(path=f"/{self.pg_database}"))

    def _redis(self) -> str:
        if self.redis_url:
            import redis

            if redis.Redis.from_url(self.redis_url).dbsize():
                sys.exit(f"{self.redis_url} is not empty; give the benchmark a Redis database of its own")
            self.flush_redis = True  # empty before we came: ours to flush afterwards
            return self.redis_url
        from nstsite import embedded_redis

        self.redis_server = embedded_redis.start(self.tmp / "redis")
        return embedded_redis.url(self.tmp / "redis")

    def redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url)

    def backends(self) -> str:
        database = f"PostgreSQL (throwaway database {self.pg_database})" if self.pg_database else "SQLite (WAL)"
        redis = f"Redis at {self.redis_url}" if self.flush_redis else "embedded redis-server (unix socket)"
        return f"{database}; {redis}"

    # Processes -----------------------------------------------------------------------

    def spawn(
        self, name: str, command: list[str], env: dict[str, str] | None = None, *, idle: bool = False
    ) -> subprocess.Popen:
        """Start `command` in its own session (so stop() can kill its whole process group);
        with `idle`, at idle CPU priority (SCHED_IDLE: it runs only when nothing else wants the CPU)."""
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.logs.append(log)
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env | (env or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_idle_priority if idle else None,
        )
        process.name = name
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the process's whole group, as the OOM killer or a lost machine would."""
        self.killed.add(process.pid)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def start_workers(self, count: int, *, env: dict[str, str] | None = None, idle: bool = False) -> list[str]:
        """Start `count` `manage.py rqworker stylize` processes; return their names."""
        from django.conf import settings

        names = [f"bench-worker-{secrets.token_hex(3)}" for _ in range(count)]
        for name in names:
            command = [sys.executable, "manage.py", "rqworker", settings.RQ_QUEUE, "--name", name]
            self.spawn(name, command, env, idle=idle)
        return names

    def wait_for_workers(self, names: list[str]) -> None:
        from rq import Worker

        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while not set(names) <= {worker.name for worker in Worker.all(connection=self.redis())}:
            self.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"RQ workers did not register within {WORKER_START_TIMEOUT:.0f} s")
            time.sleep(0.5)

    def check_alive(self) -> None:
        for process in self.processes:
            if process.poll() is not None and process.pid not in self.killed:
                raise RuntimeError(f"{process.name} exited with {process.returncode}; see {self.log_dir}")

    # Tearing down --------------------------------------------------------------------

    def stop(self) -> None:
        """Undo everything start() did, each step even if an earlier one failed."""
        for step in (self._stop_processes, self._flush_redis, self._stop_redis, self._drop_database):
            try:
                step()
            except Exception as exc:  # report and go on: the other steps must still run
                print(f"cleanup: {step.__name__}: {exc}", file=sys.stderr)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _stop_processes(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self.logs:
            log.close()

    def _flush_redis(self) -> None:
        if self.flush_redis:
            self.redis().flushdb()

    def _stop_redis(self) -> None:
        if self.redis_server is not None:
            from nstsite import embedded_redis

            embedded_redis.stop(self.redis_server)

    def _drop_database(self) -> None:
        if self.pg_database:
            import psycopg

            with contextlib.suppress(Exception):  # Django may not have got as far as connecting
                from django.db import connections

                connections.close_all()
            with psycopg.connect(self.pg_admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')


def _idle_priority() -> None:
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
