"""Scale-out run: bench/load.py's clients against the production topology, on one machine.

    python bench/scaleout.py --database-url postgres://postgres@127.0.0.1:5432/test \
        --redis-url redis://127.0.0.1:6379/7 [--rq-workers 2] [--web-workers 4] [load.py's options]

Not a test. What bench/load.py builds (a throwaway PostgreSQL database and Redis database,
gunicorn, N users with a photo each), except that media live in S3-compatible object
storage and nothing else is shared: moto's standalone S3 server (`moto[server]`) on a free
127.0.0.1 port with a fresh private bucket, the web tier and every worker configured by the
same MEDIA_STORAGE/AWS_* variables a deployment sets, and each worker with a MEDIA_ROOT
of its own (as a GPU machine would have), which must still be empty at the end. Workers
take their share of the cores (STYLIZER_WORKERS_PER_HOST, stylizer/threads.py).

Besides load.py's checks (no job lost or doubled), it checks that every succeeded job's
result and preview are objects in the bucket and that no worker and no web process wrote
a file to a disk. Prints and writes a markdown report (--out, default
bench/out/scaleout.md, + .json and the servers' logs).
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
import uuid
from pathlib import Path

import load
from stack import ROOT

OUT = ROOT / "bench" / "out"
S3_START_TIMEOUT = 60.0


class ScaleOutStack(load.LoadStack):
    """load.py's stack with media in a bucket and a disk of its own for every worker."""

    def __init__(self, args):
        super().__init__(args)
        self.log_dir = Path(args.out).parent / "scaleout-logs"
        self.s3_env: dict[str, str] = {}
        self.worker_media: list[Path] = []

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.s3_env = self._start_s3()
        # Before Stack.start: the web tier (gunicorn, and this process's set-up) reads them too.
        self.env.update(self.s3_env)
        super().start()

    def _start_s3(self) -> dict[str, str]:
        import boto3
        import requests
        from botocore.config import Config

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        # At idle CPU priority, like the workers: it stands in for a service on machines of its own.
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        self.spawn("s3", command, idle=self.args.idle_workers)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + S3_START_TIMEOUT
        while True:
            self.check_alive()
            try:
                requests.get(f"{url}/moto-api/", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.2)
        env = {
            "MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": f"nstsite-bench-{uuid.uuid4().hex[:12]}",
            "AWS_S3_ENDPOINT_URL": url,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
        }
        self.s3 = boto3.client(
            "s3",
            endpoint_url=url,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            region_name="us-east-1",
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )
        self.s3.create_bucket(Bucket=env["AWS_STORAGE_BUCKET_NAME"])
        return env

    def start_workers(self, count: int, *, env: dict[str, str] | None = None, idle: bool = False) -> list[str]:
        names = []
        for index in range(count):
            media = self.tmp / f"worker-{index}-media"
            media.mkdir()
            self.worker_media.append(media)
            own = {**(env or {}), "MEDIA_ROOT": str(media), "STYLIZER_WORKERS_PER_HOST": str(count)}
            names += super().start_workers(1, env=own, idle=idle)
        return names

    def describe(self) -> str:
        return (
            f"{super().describe()}; media in moto's S3 server on 127.0.0.1 ({self._priority().split(':')[0]}, bucket "
            f"{self.s3_env['AWS_STORAGE_BUCKET_NAME']}), each worker with a MEDIA_ROOT of its own"
        )

    def drain_and_verify(self, run) -> dict:
        jobs = super().drain_and_verify(run)
        from gallery.models import Stylization

        bucket = self.s3_env["AWS_STORAGE_BUCKET_NAME"]
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        keys = {item["Key"] for page in pages for item in page.get("Contents", ())}
        succeeded = Stylization.objects.filter(status=Stylization.Status.SUCCEEDED)
        missing = [str(row.pk) for row in succeeded if not {row.result.name, row.preview.name} <= keys]
        disks = [*self.worker_media, self.tmp / "media"]
        on_disk = [str(path) for media in disks if media.exists() for path in media.rglob("*") if path.is_file()]
        jobs.update(
            {
                "objects_in_bucket": len(keys),
                "results_missing_from_bucket": missing,
                "files_on_local_disks": on_disk,
            }
        )
        jobs["ok"] = jobs["ok"] and not missing and not on_disk
        return jobs


def main() -> None:
    sys.argv += [] if "--out" in sys.argv else ["--out", str(OUT / "scaleout.md")]
    defaults = {"--rq-workers": "2", "--web-workers": "4"}
    for option, value in defaults.items():
        if option not in sys.argv:
            sys.argv += [option, value]
    args = load._arguments()
    if not (args.database_url and args.redis_url):
        sys.exit("the scale-out run needs --database-url (PostgreSQL) and --redis-url (a Redis server)")
    stack = ScaleOutStack(args)
    try:
        stack.start()
        print(f"Stack up: {stack.describe()}", flush=True)
        run = asyncio.run(load._load(args, stack))
        jobs = stack.drain_and_verify(run)
    except KeyboardInterrupt:
        sys.exit("Interrupted; stack stopped.")
    finally:
        stack.stop()
    report = load._report(args, stack, run, jobs).replace("Load test:", "Scale-out run:", 1)
    report += (
        f"Object storage: {jobs['objects_in_bucket']} objects in the bucket; succeeded jobs whose result or "
        f"preview is missing from it: {len(jobs['results_missing_from_bucket'])}; files written to a worker's "
        f"or the web tier's disk: {len(jobs['files_on_local_disks'])}.\n"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    out.with_suffix(".json").write_text(json.dumps(load._raw(args, stack, run, jobs), indent=2, default=str))
    print(report)
    print(f"Written to {out} and {out.with_suffix('.json')}; logs in {stack.log_dir}")
    if not jobs["ok"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
