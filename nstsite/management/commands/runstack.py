"""`manage.py runstack`: the whole local stack in one command.

Applies migrations (which add the starter styles on a fresh install), starts the
embedded Redis when REDIS_URL is unset, an RQ worker and the web server as child
processes, prints the URL, and stops everything it started on Ctrl-C (or when any
child exits).
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

from nstsite import embedded_redis


class Command(BaseCommand):
    help = "Run migrations, Redis (embedded if REDIS_URL is unset), a worker and the web server."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="Web server address (host:port).")
        parser.add_argument("--workers", type=int, default=1, help="Number of RQ worker processes.")

    def handle(self, *args, addrport: str, workers: int, **options) -> None:
        signal.signal(signal.SIGTERM, _interrupt)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        children: list[subprocess.Popen] = []
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
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A child process exited; stopping the stack.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
            if redis_server is not None:
                embedded_redis.stop(redis_server)
            self.stdout.write("Stopped.")


def _interrupt(signum, frame) -> None:
    """SIGTERM (e.g. from a process manager) stops the stack like Ctrl-C does."""
    raise KeyboardInterrupt
