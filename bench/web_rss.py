"""Memory of one gunicorn worker of the web tier: what each of the README's web processes costs.

Starts `gunicorn nstsite.wsgi` (one gthread worker, production settings: DEBUG=false, a fresh
SQLite database, REDIS_URL pointing nowhere, as .ci/run's deploy check), requests a few pages
so every URL's views, forms, serializers and services are imported, then reads the worker's
resident memory (VmRSS in /proc/<pid>/status) and whether it loaded PyTorch.

    python bench/web_rss.py                     # this checkout
    python bench/web_rss.py --root /tmp/before  # another checkout, e.g. `git archive` of main

Prints one line per measurement; nothing is kept.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("/accounts/login/", "/api/v1/styles/", "/api/schema/", "/")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> int:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def _status(pid: int, key: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    raise KeyError(key)


def _loaded_torch(pid: int) -> bool:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return "libtorch" in maps


def measure(root: Path) -> tuple[int, bool]:
    tmp = Path(tempfile.mkdtemp(prefix="web-rss-"))
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "REDIS_URL": "redis://redis.invalid:6379/0",
        "STATIC_ROOT": str(tmp / "static"),
        "MEDIA_ROOT": str(tmp / "media"),
    }
    for step in (["migrate"], ["collectstatic", "--noinput"]):
        subprocess.run([sys.executable, "manage.py", *step, "-v0"], cwd=root, env=env, check=True)
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "nstsite.wsgi", "--worker-class", "gthread", "--workers", "1", "--threads", "2"]
    server = subprocess.Popen([*command, "--bind", f"127.0.0.1:{port}"], cwd=root, env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                statuses = [_get(f"http://127.0.0.1:{port}{page}") for page in PAGES]
                break
            except (ConnectionError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        worker = _worker_pid(server.pid)
        rss_kb = int(_status(worker, "VmRSS").split()[0])
        print(f"{root}: pages {dict(zip(PAGES, statuses))}", file=sys.stderr)
        return rss_kb, _loaded_torch(worker)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = [measure(args.root.resolve()) for _ in range(args.runs)]
    sizes = sorted(rss for rss, _ in results)
    torch = {loaded for _, loaded in results}
    print(
        f"gunicorn worker RSS: median {sizes[len(sizes) // 2] / 1024:.0f} MiB "
        f"(runs: {', '.join(f'{rss / 1024:.0f}' for rss in sizes)} MiB); PyTorch loaded: {sorted(torch)}"
    )


if __name__ == "__main__":
    main()
