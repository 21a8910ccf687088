"""Reading requests (gallery.http): an upload's file name with folders is a clear 400 with
nothing written anywhere, on the pages and in the API; and who the client is."""

import html
import uuid
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.urls import reverse

from gallery import errors
from gallery.http import client_ip
from gallery.models import Photo, Stylization
from tests.gallery.api.conftest import token_client
from tests.gallery.factories import image_bytes, make_style, make_user

BOUNDARY = "nstsite-test-boundary"
ESCAPE = f"escape-{uuid.uuid4().hex}.jpg"  # no file by this name may appear anywhere
UNSAFE = [
    pytest.param(f'filename="../../{ESCAPE}"', f"../../{ESCAPE}", id="dot-dot-slash"),
    pytest.param(f'filename="..\\..\\{ESCAPE}"', f"..\\..\\{ESCAPE}", id="dot-dot-backslash"),
    pytest.param(f"filename*=UTF-8''..%2F..%2F{ESCAPE}", f"../../{ESCAPE}", id="rfc5987-encoded"),
    pytest.param(f'filename="&#46;&#46;&#47;{ESCAPE}"', f"../{ESCAPE}", id="html-entities"),
    pytest.param(f'filename="/etc/{ESCAPE}"', f"/etc/{ESCAPE}", id="absolute"),
    pytest.param('filename=".."', "..", id="only-dots"),
]


def _multipart(field: str, filename_param: str, fields: dict[str, str] | None = None) -> bytes:
    """A hand-made multipart body (the test client would clean the name): a valid JPEG under that name."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in (fields or {}).items()
    ]
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; {filename_param}\r\n'
    parts.append(f"{head}Content-Type: image/jpeg\r\n\r\n".encode() + image_bytes((32, 24)) + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _post(client, url: str, body: bytes):
    return client.generic("POST", url, body, content_type=f"multipart/form-data; boundary={BOUNDARY}")


@pytest.fixture
def uploads_to_disk(settings, tmp_path) -> Path:
    """Every upload is spooled to a file in a folder of our own, so a write would show."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir()
    return Path(settings.FILE_UPLOAD_TEMP_DIR)


def _nothing_written(media_root_files, spool: Path, settings) -> None:
    assert not Photo.objects.exists() and not Stylization.objects.exists()
    assert media_root_files() == []
    assert list(spool.iterdir()) == [], "not even a temporary file"
    media = Path(settings.MEDIA_ROOT)
    for folder in (media, media.parent, media.parent.parent, Path.cwd(), Path.cwd().parent, Path("/etc")):
        assert not (folder / ESCAPE).exists(), folder
    assert not list(media.parent.rglob(ESCAPE))


@pytest.mark.django_db
@pytest.mark.parametrize(("filename_param", "shown"), UNSAFE)
def test_photo_page_refuses_a_file_name_with_folders(
    user_client, filename_param, shown, media_root_files, uploads_to_disk, settings
):
    response = _post(user_client, reverse("gallery:photo_list"), _multipart("image", filename_param))
    assert response.status_code == 400
    page = response.content.decode()
    assert html.escape(errors.UNSAFE_FILE_NAME.format(name=shown)) in page
    assert user_client.user.username in page, "the site's own page, signed in"
    _nothing_written(media_root_files, uploads_to_disk, settings)


@pytest.mark.django_db
@pytest.mark.parametrize(("filename_param", "shown"), UNSAFE)
def test_api_refuses_a_file_name_with_folders(filename_param, shown, media_root_files, uploads_to_disk, settings):
    response = _post(token_client(make_user()), "/api/v1/photos/", _multipart("image", filename_param))
    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "detail": errors.UNSAFE_FILE_NAME.format(name=shown),
        "fields": {},
    }
    _nothing_written(media_root_files, uploads_to_disk, settings)


@pytest.mark.django_db
def test_create_form_refuses_a_file_name_with_folders(user_client, media_root_files, uploads_to_disk, settings):
    style = make_style()
    style_files = media_root_files()
    fields = {"styles": str(style.pk), "size": "256", "preset": "draft", "style_strength": "1"}
    body = _multipart("photo_file", f'filename="../../{ESCAPE}"', fields)
    response = _post(user_client, reverse("gallery:stylization_create"), body)
    assert response.status_code == 400
    assert html.escape(errors.UNSAFE_FILE_NAME.format(name=f"../../{ESCAPE}")) in response.content.decode()
    assert media_root_files() == style_files
    assert not Photo.objects.exists() and not Stylization.objects.exists()


@pytest.mark.django_db
def test_another_unreadable_request_is_a_400_page_that_tells_nothing_more(client):
    """Django's own 400s (here a host we do not serve) get the same page, without their details."""
    response = client.get(reverse("gallery:home"), HTTP_HOST="evil.example")
    assert response.status_code == 400
    page = response.content.decode()
    assert html.escape(errors.BAD_REQUEST) in page and "evil.example" not in page


@pytest.mark.django_db
def test_the_same_hand_made_upload_with_a_plain_name_is_stored(user_client, media_root_files):
    """The control: what is refused above is the name, not the body."""
    page = _post(user_client, reverse("gallery:photo_list"), _multipart("image", 'filename="holiday.jpg"'))
    assert page.status_code == 302
    api = _post(token_client(user_client.user), "/api/v1/photos/", _multipart("image", 'filename="beach.jpg"'))
    assert api.status_code == 201
    assert sorted(Photo.objects.values_list("original_name", flat=True)) == ["beach.jpg", "holiday.jpg"]
    assert len(media_root_files()) == 4  # image and thumbnail of each


# The client's address ------------------------------------------------------------------


def _request(remote="10.0.0.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_a_forwarded_address_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(forwarded="203.0.113.7")) == "10.0.0.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "client"),
    [
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the left part is the client's own claim
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (1, "not-an-address", "10.0.0.9"),
        (1, "", "10.0.0.9"),
    ],
)
def test_behind_trusted_proxies_the_address_they_saw_is_the_client(settings, proxies, forwarded, client):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(_request(forwarded=forwarded)) == client
