"""`manage.py runstack`: the whole local stack in one command.

Applies migrations (which add the starter styles on a fresh install), starts the
embedded Redis when REDIS_URL is unset, an RQ worker and the web server as child
processes, prints the URL, and stops everything it started on Ctrl-C (or when any
child exits). On a fresh install it also paints the landing page's examples
(`manage.py make_examples`) in the background, at idle priority and on one thread so
that the worker's jobs keep the cores; the page shows them once they exist.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from gallery.models import Example
from nstsite import embedded_redis


class Command(BaseCommand):
    help = "Run migrations, Redis (embedded if REDIS_URL is unset), a worker and the web server."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="Web server address (host:port).")
        parser.add_argument("--workers", type=int, default=1, help="Number of RQ worker processes.")
        parser.add_argument(
            "--no-examples",
            action="store_true",
            help="Do not paint the landing page's examples in the background when there are none yet.",
        )

    def handle(self, *args, addrport: str, workers: int, no_examples: bool, **options) -> None:
        signal.signal(signal.SIGTERM, _interrupt)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        children: list[subprocess.Popen] = []
        painter: subprocess.Popen | None = None
        env = dict(os.environ)
        redis_server = None
        if not os.environ.get("REDIS_URL"):
            if embedded_redis.is_running(settings.REDIS_URL):
                self.stdout.write(f"Using the embedded Redis already running at {settings.REDIS_URL}")
            else:
                redis_server = embedded_redis.start(settings.VAR_DIR)
                self.stdout.write(f"Embedded Redis started at {settings.REDIS_URL}")
        env["REDIS_URL"] = settings.REDIS_URL
        # Each worker's engine takes its share of the cores (stylizer.threads), unless told otherwise.
        env.setdefault("STYLIZER_WORKERS_PER_HOST", str(max(workers, 1)))
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        try:
            for _ in range(workers):
                children.append(subprocess.Popen([*manage, "rqworker", settings.RQ_QUEUE], env=env))
            children.append(subprocess.Popen([*manage, "runserver", "--noreload", addrport], env=env))
            self.stdout.write(self.style.SUCCESS(f"\n  nstsite is running at http://{addrport}/  (Ctrl-C stops it)\n"))
            if not no_examples and not Example.objects.exists():
                # Not in `children`: the stack keeps running when the painter is done.
                painter = _paint_examples(manage, env)
                self.stdout.write("Painting the landing page's examples in the background (make_examples).")
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A child process exited; stopping the stack.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            everything = children + ([painter] if painter is not None else [])
            for child in everything:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in everything:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
            if redis_server is not None:
                embedded_redis.stop(redis_server)
            self.stdout.write("Stopped.")


def _paint_examples(manage: list[str], env: dict[str, str]) -> subprocess.Popen:
    """`make_examples` at idle priority on one thread: two torch processes each taking every
    core fight instead of sharing (stylizer/threads.py), and a user's job comes first."""
    env = env | {"OMP_NUM_THREADS": "1", "STYLIZER_TORCH_THREADS": "1"}
    return subprocess.Popen([*manage, "make_examples"], env=env, preexec_fn=lambda: os.nice(19))


def _interrupt(signum, frame) -> None:
    """SIGTERM (e.g. from a process manager) stops the stack like Ctrl-C does."""
    raise KeyboardInterrupt
