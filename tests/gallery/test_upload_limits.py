"""Size limits: a request over REQUEST_MAX_BYTES is a 413 before its body is read (pages and
API); one image over UPLOAD_MAX_BYTES in a smaller request is the form's 400; and the
pages refuse a too-large file in the browser, with the server's own message, before sending it."""

import html
import json
import os
import shutil
import subprocess

import django_rq
import pytest
from django.conf import settings
from django.urls import reverse

from gallery import errors
from gallery.models import Photo, Style, Stylization
from tests.conftest import ROOT
from tests.gallery.api.conftest import token_client
from tests.gallery.factories import make_style, make_user, upload

FILE_LIMIT = 30_000
REQUEST_LIMIT = 64_000
UPLOADS_JS = ROOT / "static" / "gallery" / "uploads.js"


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.UPLOAD_MAX_BYTES = FILE_LIMIT
    settings.REQUEST_MAX_BYTES = REQUEST_LIMIT


def _bytes(size: int) -> bytes:
    return os.urandom(size)


def _too_large_message(response) -> str:
    return errors.REQUEST_TOO_LARGE.format(
        size_mb=int(response.wsgi_request.META["CONTENT_LENGTH"]) / 2**20,
        limit_mb=REQUEST_LIMIT / 2**20,
        file_limit_mb=FILE_LIMIT / 2**20,
    )


# 413: the whole request -----------------------------------------------------------------


@pytest.mark.django_db
def test_api_upload_over_the_request_limit_is_413_in_the_error_shape(media_root_files):
    response = token_client(make_user()).post(
        "/api/v1/photos/", {"image": upload("big.jpg", _bytes(REQUEST_LIMIT))}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json() == {"code": "request_too_large", "detail": _too_large_message(response), "fields": {}}
    assert not Photo.objects.exists() and media_root_files() == []


@pytest.mark.django_db
def test_photo_page_upload_over_the_request_limit_is_a_413_page(user_client, media_root_files):
    response = user_client.post(reverse("gallery:photo_list"), {"image": upload("big.jpg", _bytes(REQUEST_LIMIT))})
    assert response.status_code == 413
    page = response.content.decode()
    assert html.escape(_too_large_message(response)) in page
    assert user_client.user.username in page, "the site's own page, signed in"
    assert not Photo.objects.exists() and media_root_files() == []


@pytest.mark.django_db(transaction=True)
def test_create_form_over_the_request_limit_is_413_with_nothing_stored_or_queued(
    user_client, idle_queue, media_root_files
):
    style = make_style()
    style_files = media_root_files()
    form = {
        "photo_file": upload("a.jpg", _bytes(FILE_LIMIT - 1000)),
        "style_file": upload("b.jpg", _bytes(FILE_LIMIT - 1000)),
        "filler": "x" * (REQUEST_LIMIT - 2 * FILE_LIMIT + 4000),
        "styles": [str(style.pk)],
    }
    response = user_client.post(reverse("gallery:stylization_create"), form)
    assert response.status_code == 413
    assert not Stylization.objects.exists() and not Photo.objects.exists()
    assert not Style.objects.exclude(owner=None).exists()
    assert media_root_files() == style_files
    assert django_rq.get_queue(settings.RQ_QUEUE).count == 0


@pytest.mark.django_db
def test_the_413_comes_before_the_body_is_read(user_client):
    """A 10 GB body announced with 5 bytes sent: reading it would fail the test client's payload."""
    response = user_client.generic(
        "POST",
        reverse("gallery:photo_list"),
        b"short",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(10 * 2**30),
    )
    assert response.status_code == 413
    assert "10240.0 MB" in response.content.decode()


# 400: one image over its own limit ---------------------------------------------------------


@pytest.mark.django_db
def test_one_image_over_the_file_limit_in_a_smaller_request_is_the_forms_400(user_client, media_root_files):
    size = FILE_LIMIT + 5000
    message = errors.FILE_TOO_LARGE.format(name="big.jpg", size_mb=size / 2**20, limit_mb=FILE_LIMIT / 2**20)
    page = user_client.post(reverse("gallery:photo_list"), {"image": upload("big.jpg", _bytes(size))})
    assert page.status_code == 400 and html.escape(message) in page.content.decode()
    api = token_client(user_client.user).post(
        "/api/v1/photos/", {"image": upload("big.jpg", _bytes(size))}, format="multipart"
    )
    assert api.status_code == 400 and api.json()["fields"] == {"image": [message]}
    assert not Photo.objects.exists() and media_root_files() == []


# The browser refuses it first --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "inputs"),
    [
        ("gallery:photo_list", ["image"]),
        ("gallery:stylization_create", ["photo_file", "style_file"]),
        ("admin:gallery_style_add", ["image_file"]),
    ],
)
def test_every_image_input_carries_the_file_limit_and_its_message(client, url, inputs):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    page = client.get(reverse(url)).content.decode()
    assert '<script src="/static/gallery/uploads.js"></script>' in page
    for name in inputs:
        tag = next(tag for tag in page.split("<input")[1:] if f'name="{name}"' in tag.split(">")[0])
        assert f'data-max-bytes="{FILE_LIMIT}"' in tag
        assert f'data-too-large-message="{html.escape(errors.FILE_TOO_LARGE)}"' in tag


def _choose_files(*choices: list[dict]) -> list[dict]:
    """Run uploads.js in Node against a minimal page with one image input, choosing files in turn;
    return what the page shows after each choice (the message, and whether the input kept its file)."""
    harness = """
    const vm = require("vm");
    const fs = require("fs");
    const [script, maxBytes, message, choices] = process.argv.slice(1);
    const listeners = {};
    const box = {
      notes: [],
      querySelector() { return this.notes.find((note) => !note.removed) || null; },
    };
    const input = {
      dataset: { maxBytes, tooLargeMessage: message },
      matches: (selector) => selector === 'input[type="file"][data-max-bytes]',
      closest: () => box,
      insertAdjacentElement: (where, note) => box.notes.push(note),
    };
    const document = {
      addEventListener: (type, listener) => { listeners[type] = listener; },
      createElement: () => ({ setAttribute() {}, remove() { this.removed = true; } }),
    };
    vm.runInNewContext(fs.readFileSync(script, "utf8"), { document });
    const shown = JSON.parse(choices).map((files) => {
      input.files = files;
      input.value = "C:\\\\fakepath\\\\" + files[0].name;
      listeners.change({ target: input });
      const note = box.querySelector();
      return { message: note ? note.textContent : null, kept: input.value !== "" };
    });
    console.log(JSON.stringify(shown));
    """
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        pytest.skip("Node.js is not installed")
    args = [str(UPLOADS_JS), str(FILE_LIMIT), errors.FILE_TOO_LARGE, json.dumps(choices)]
    result = subprocess.run([node, "-e", harness, *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_page_refuses_a_too_large_file_with_the_servers_message_before_sending_it():
    size = 25 * 2**20 + 123_456
    too_large, fine = _choose_files([{"name": "huge.jpg", "size": size}], [{"name": "small.jpg", "size": 1000}])
    expected = errors.FILE_TOO_LARGE.format(name="huge.jpg", size_mb=size / 2**20, limit_mb=FILE_LIMIT / 2**20)
    assert too_large == {"message": expected, "kept": False}
    assert fine == {"message": None, "kept": True}, "choosing a smaller file clears the message"
