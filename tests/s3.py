"""A real S3 HTTP endpoint for the tests marked `s3` (a pytest plugin: tests/conftest.py loads it).

The session starts moto's standalone server (`moto[server]`, from PyPI) on a free loopback
port, the first time a test asks for it. With `S3_TEST_URL` set (and `S3_TEST_ACCESS_KEY_ID`,
`S3_TEST_SECRET_ACCESS_KEY`, `S3_TEST_REGION`), the tests use that server instead, e.g. a
MinIO: `S3_TEST_URL=http://127.0.0.1:9000 S3_TEST_ACCESS_KEY_ID=minioadmin ...`.

Each test gets a bucket of its own and the environment a deployment would set
(`s3_env`); `s3_storage` points this process's default storage at it through the same
function the settings use (nstsite.media), and a worker started with `s3_env` reads the
same variables from its environment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    if os.environ.get("S3_TEST_URL"):
        yield S3Server(
            url=os.environ["S3_TEST_URL"],
            access_key=os.environ.get("S3_TEST_ACCESS_KEY_ID", "minioadmin"),
            secret_key=os.environ.get("S3_TEST_SECRET_ACCESS_KEY", "minioadmin"),
            region=os.environ.get("S3_TEST_REGION", "us-east-1"),
            enforces_expiry=True,
        )
        return
    port = _free_port()
    log_path = Path(tmp_path_factory.mktemp("s3-server")) / "moto.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        try:
            requests.get(f"{url}/moto-api/", timeout=2)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"moto's S3 server did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
    try:
        yield S3Server(url=url, access_key="testing", secret_key="testing", region="us-east-1", enforces_expiry=False)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


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
