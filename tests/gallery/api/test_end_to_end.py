"""The API as a client uses it, over HTTP against a live server, with a real RQ worker.

token → upload a photo (a drawn scene, JPEG) → create a tiny stylization → poll
until it succeeds → download the PNG and check it is the requested size.
"""

import io
import time

import pytest
import requests
from PIL import Image

from tests import images
from tests.gallery.factories import make_style, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

POLL_TIMEOUT = 120
SIZE = 64


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def own_worker(worker_factory):
    """A worker for this test only (worker_factory stops it after the test)."""
    return worker_factory()


def test_a_client_stylizes_a_photo_from_token_to_png(live_server, own_worker, empty_queue):
    api = f"{live_server.url}/api/v1"
    make_user("frida", password="s3cret-pass-123")
    # Its own curated style: a transactional test run before this one flushes the starter styles.
    make_style("Test catalogue painting")
    http = requests.Session()

    token = http.post(f"{api}/auth/token/", data={"username": "frida", "password": "s3cret-pass-123"}, timeout=10)
    assert token.status_code == 200, token.text
    http.headers["Authorization"] = f"Token {token.json()['token']}"

    upload = http.post(f"{api}/photos/", files={"image": ("meadow.jpg", _jpeg(images.scene((120, 90))))}, timeout=30)
    assert upload.status_code == 201, upload.text
    photo = upload.json()

    catalogue = http.get(f"{api}/styles/", timeout=10).json()["results"]
    style = next(item for item in catalogue if item["title"] == "Test catalogue painting")
    created = http.post(
        f"{api}/stylizations/",
        json={
            "photo": photo["id"],
            "styles": [{"style": style["id"], "weight": 1.0}],
            "options": {"size": SIZE, "steps": 3, "seed": 7},
        },
        timeout=10,
    )
    assert created.status_code == 201, created.text
    location = created.headers["Location"]

    deadline = time.monotonic() + POLL_TIMEOUT
    while True:
        stylization = http.get(location, timeout=10).json()
        if stylization["status"] not in ("queued", "running"):
            break
        assert 0 <= stylization["progress"] <= 100
        assert time.monotonic() < deadline, f"still {stylization['status']} after {POLL_TIMEOUT} s"
        time.sleep(0.25)
    assert stylization["status"] == "succeeded", stylization["error_message"]
    assert stylization["progress"] == 100 and stylization["run_seconds"] > 0

    result = http.get(stylization["result_url"], timeout=30)
    assert result.status_code == 200 and result.headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(result.content)) as png:
        png.verify()
    with Image.open(io.BytesIO(result.content)) as png:
        assert png.format == "PNG"
        assert max(png.size) == SIZE
        expected_short = round(SIZE * min(photo["width"], photo["height"]) / max(photo["width"], photo["height"]))
        assert abs(min(png.size) - expected_short) <= 1

    stranger = requests.get(stylization["result_url"], timeout=10)
    assert stranger.status_code == 401
