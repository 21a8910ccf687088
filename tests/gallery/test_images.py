"""Upload validation and cleaning (gallery.images), through the photo service."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from gallery import errors, services
from gallery.models import Photo
from tests.gallery.factories import image_bytes, make_user, upload

pytestmark = pytest.mark.django_db


def _png_with_size(width: int, height: int) -> bytes:
    """A valid-looking PNG header claiming huge dimensions, with almost no data: a pixel bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _refused(file) -> str:
    with pytest.raises(ValidationError) as caught:
        services.photo_create(owner=make_user(), file=file)
    assert not Photo.objects.exists()
    return caught.value.message_dict["image"][0]


def test_not_an_image_is_refused_with_a_clear_message(media_root_files):
    message = _refused(upload("notes.jpg", b"hello, I am text"))
    assert message == errors.NOT_AN_IMAGE.format(name="notes.jpg")
    assert media_root_files() == []


def test_truncated_image_is_refused(media_root_files):
    data = image_bytes((256, 256), "JPEG")
    message = _refused(upload("cut.jpg", data[: len(data) // 2]))
    assert message.startswith("cut.jpg: the image could not be read")
    assert media_root_files() == []


def test_too_large_file_is_refused(settings, media_root_files):
    settings.UPLOAD_MAX_BYTES = 1000
    buffer = io.BytesIO()
    Image.effect_noise((64, 64), 80).save(buffer, "PNG")
    message = _refused(upload("big.png", buffer.getvalue(), "image/png"))
    assert message.startswith("big.png: the file is") and "the limit is" in message
    assert media_root_files() == []


@pytest.mark.parametrize("side", [8_000, 30_000], ids=["above-our-limit", "above-pillows-limit"])
def test_pixel_bomb_is_refused_before_decoding(side, media_root_files):
    message = _refused(upload("bomb.png", _png_with_size(side, side), "image/png"))
    assert message == errors.TOO_MANY_PIXELS.format(name="bomb.png", megapixels=side * side / 1e6, limit_megapixels=40)
    assert media_root_files() == []


def test_unsupported_format_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "GIF")
    assert _refused(upload("anim.gif", buffer.getvalue(), "image/gif")) == errors.UNSUPPORTED_FORMAT.format(
        name="anim.gif", format="GIF"
    )


def test_exif_orientation_is_applied_and_metadata_stripped():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0)}  # GPS IFD
    exif[0x010F] = "CameraMaker"
    data = image_bytes((80, 40), "JPEG", exif=exif.tobytes())
    photo = services.photo_create(owner=make_user(), file=upload("gps.jpg", data))
    with Image.open(photo.image.path) as stored:
        assert stored.size == (40, 80)
        assert (photo.width, photo.height) == (40, 80)
        assert dict(stored.getexif()) == {}
        assert "exif" not in stored.info and "icc_profile" not in stored.info


def test_transparent_png_is_stored_as_rgb_on_white():
    buffer = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(buffer, "PNG")
    photo = services.photo_create(owner=make_user(), file=upload("clear.png", buffer.getvalue(), "image/png"))
    with Image.open(photo.image.path) as stored:
        assert stored.mode == "RGB"
        assert stored.getpixel((5, 5)) == (255, 255, 255)


def test_webp_is_accepted_and_stored_as_png():
    data = image_bytes((32, 32), "WEBP")
    photo = services.photo_create(owner=make_user(), file=upload("pic.webp", data, "image/webp"))
    assert photo.image.name.endswith(".png")
    with Image.open(photo.thumbnail.path) as thumb:
        assert thumb.format == "JPEG"
