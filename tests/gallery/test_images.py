"""Upload validation and cleaning (gallery.images), through the photo service."""

import io
import struct

import pytest
from django.core.exceptions import ValidationError
from PIL import Image, ImageCms, ImageDraw, ImageFile, PngImagePlugin

from gallery import errors, services
from gallery.models import Photo
from tests.gallery import hostile
from tests.gallery.factories import image_bytes, make_user, upload

pytestmark = pytest.mark.django_db


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


@pytest.mark.parametrize("side", [8_000, 20_000, 30_000], ids=["above-our-limit", "20000-square", "huge"])
def test_pixel_bomb_is_refused_before_decoding(side, media_root_files):
    message = _refused(upload("bomb.png", hostile.png_claiming_size(side, side), "image/png"))
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


def test_webp_is_accepted_and_stored_as_jpeg():
    data = image_bytes((32, 32), "WEBP")
    photo = services.photo_create(owner=make_user(), file=upload("pic.webp", data, "image/webp"))
    assert photo.image.name.endswith(".jpg")
    for field in (photo.image, photo.thumbnail):
        with Image.open(field.path) as stored:
            assert stored.format == "JPEG"


def test_empty_file_is_refused_naming_it(media_root_files):
    assert _refused(upload("empty.jpg", b"")) == errors.EMPTY_FILE.format(name="empty.jpg")
    assert media_root_files() == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_real_100_megapixel_image_is_refused_without_decoding_it(monkeypatch, media_root_files):
    def no_decoding(self):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    message = _refused(upload("huge.png", hostile.real_100_megapixel_png(), "image/png"))
    assert message == errors.TOO_MANY_PIXELS.format(name="huge.png", megapixels=100, limit_megapixels=40)
    assert media_root_files() == []


POLYGLOTS = {
    "text-chunk.png": hostile.png_with_text(hostile.HTML.decode()),
    "compressed-text.png": hostile.png_with_text('<svg onload="alert(1)">', compressed=True),
    "international-text.png": hostile.png_with_text("<img src=x onerror=alert(1)>", international=True),
    "after-iend.png": image_bytes((32, 24), "PNG") + hostile.HTML,
    "comment.jpg": hostile.jpeg_with_comment(b"<iframe src=javascript:alert(1)>"),
    "after-eoi.jpg": image_bytes((32, 24), "JPEG") + b"<script>alert(1)</script>",
}


@pytest.mark.parametrize("name", POLYGLOTS)
def test_an_image_that_also_carries_html_is_refused(name, media_root_files):
    data = POLYGLOTS[name]
    with Image.open(io.BytesIO(data)) as image:  # each is a real image too
        image.load()
    assert _refused(upload(name, data)) == errors.HTML_IN_IMAGE.format(name=name)
    assert media_root_files() == []


@pytest.mark.parametrize(
    "data",
    [
        hostile.png_with_text("made with <3 by Ada; 2 < 3 > 1"),
        hostile.png_with_text("Software: GIMP 2.10 <b>bold</b>", compressed=True),
        hostile.jpeg_with_comment(b"Scanned at <300 dpi>"),
    ],
    ids=["text", "compressed-text", "comment"],
)
def test_harmless_text_in_an_image_is_not_taken_for_html(data):
    assert services.photo_create(owner=make_user(), file=upload("fine.png", data)).width == 32


def test_real_photos_are_not_taken_for_html(shared_images):
    for path in sorted((shared_images / "content").iterdir()) + sorted((shared_images / "styles").iterdir()):
        photo = services.photo_create(owner=make_user(), file=upload(path.name, path.read_bytes()))
        assert photo.width > 0, path


def test_svg_is_refused_as_a_drawing(media_root_files):
    assert _refused(upload("drawing.svg", hostile.SVG, "image/svg+xml")) == errors.SVG_NOT_SUPPORTED.format(
        name="drawing.svg"
    )
    assert media_root_files() == []


@pytest.mark.parametrize(
    "data", [hostile.HTML, b"<!doctype html><html><body><svg><circle r='4'/></svg>"], ids=["page", "page-with-svg"]
)
def test_html_renamed_jpg_is_not_an_image(data, media_root_files):
    assert _refused(upload("photo.jpg", data)) == errors.NOT_AN_IMAGE.format(name="photo.jpg")
    assert media_root_files() == []


def test_photoshop_file_is_refused_by_name_although_pillow_reads_it(media_root_files):
    data = hostile.psd()
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size, image.mode) == ("PSD", (4, 3), "RGB")
        assert image.getpixel((0, 0)) == (200, 80, 40)
    message = _refused(upload("layers.psd", data, "image/vnd.adobe.photoshop"))
    assert message == errors.UNSUPPORTED_FORMAT.format(name="layers.psd", format="PSD")
    assert media_root_files() == []


def _png_chunks(data: bytes) -> tuple[list[bytes], bytes]:
    """A PNG's chunk types, and whatever follows IEND."""
    kinds, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kinds.append(data[offset + 4 : offset + 8])
        offset += 12 + length
        if kinds[-1] == b"IEND":
            break
    return kinds, data[offset:]


def _jpeg_segments(data: bytes) -> tuple[list[int], bytes]:
    """A JPEG's segment markers before the image data, and whatever follows the last EOI."""
    markers, offset = [], 2
    while data[offset] == 0xFF and data[offset + 1] != 0xDA:  # up to SOS
        markers.append(data[offset + 1])
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        offset += 2 + length
    return markers, data[data.rindex(b"\xff\xd9") + 2 :]


APP1_EXIF_XMP, APP2_ICC, COM = 0xE1, 0xE2, 0xFE
TRAILER = b"TRAILING-BYTES-AFTER-THE-IMAGE"


def _metadata() -> dict:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0)}  # GPS
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return {"exif": exif.tobytes(), "icc_profile": icc}


def test_a_png_is_stored_re_encoded_without_its_text_icc_exif_or_trailing_bytes():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Ada Lovelace")
    data = image_bytes((40, 30), "PNG", pnginfo=info, **_metadata()) + TRAILER
    kinds, trailer = _png_chunks(data)
    assert {b"tEXt", b"iCCP", b"eXIf"} <= set(kinds) and trailer == TRAILER

    photo = services.photo_create(owner=make_user(), file=upload("meta.png", data, "image/png"))
    stored = photo.image.read()
    markers, trailer = _jpeg_segments(stored)  # stored as a JPEG, like every upload
    assert not {APP1_EXIF_XMP, APP2_ICC, COM} & set(markers) and trailer == b""
    assert b"Ada Lovelace" not in stored and b"CameraMaker" not in stored


def test_a_jpeg_is_stored_re_encoded_without_its_comment_exif_xmp_icc_or_trailing_bytes():
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>Ada</rdf:RDF></x:xmpmeta>'
    data = image_bytes((40, 30), "JPEG", comment=b"Shot by Ada", xmp=xmp, **_metadata()) + TRAILER
    markers, trailer = _jpeg_segments(data)
    assert {APP1_EXIF_XMP, APP2_ICC, COM} <= set(markers) and trailer == TRAILER

    photo = services.photo_create(owner=make_user(), file=upload("meta.jpg", data))
    stored = photo.image.read()
    markers, trailer = _jpeg_segments(stored)
    assert stored != data
    assert not {APP1_EXIF_XMP, APP2_ICC, COM} & set(markers) and trailer == b""
    assert b"Shot by Ada" not in stored and b"xmpmeta" not in stored and b"CameraMaker" not in stored


# Stored size: no larger than the largest output size, as a JPEG, never many times the upload.


def _gradient(size: tuple[int, int]) -> Image.Image:
    """A picture with smooth areas and edges, which lossless formats store compactly."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], size[0] // 12):
        draw.ellipse(
            (x, x * size[1] // size[0], x + size[0] // 8, x * size[1] // size[0] + size[1] // 8), (200, 90, 40)
        )
    return image


def test_a_large_lossless_webp_is_stored_at_the_largest_output_size_as_a_smaller_jpeg(settings):
    buffer = io.BytesIO()
    _gradient((2400, 2600)).save(buffer, "WEBP", lossless=True, quality=0, method=0)
    data = buffer.getvalue()
    photo = services.photo_create(owner=make_user(), file=upload("huge.webp", data, "image/webp"))
    with Image.open(photo.image.path) as stored:
        assert stored.format == "JPEG" and stored.size == (945, 1024) == (photo.width, photo.height)
        assert max(stored.size) == max(settings.STYLIZER_SIZES)
        assert stored.getpixel((0, 0)) == pytest.approx((0, 0, 0), abs=4), "the picture itself is kept"
    assert photo.image.size < len(data)


def test_a_large_rotated_jpeg_is_stored_upright_at_the_largest_output_size():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buffer = io.BytesIO()
    _gradient((3000, 2000)).save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    photo = services.photo_create(owner=make_user(), file=upload("camera.jpg", buffer.getvalue()))
    with Image.open(photo.image.path) as stored:
        assert stored.size == (683, 1024) == (photo.width, photo.height)
        assert dict(stored.getexif()) == {}
    with Image.open(photo.thumbnail.path) as thumb:
        assert thumb.size == (320, 480)


def test_a_small_photo_is_not_enlarged():
    photo = services.photo_create(owner=make_user(), file=upload("small.png", image_bytes((100, 60), "PNG")))
    assert (photo.width, photo.height) == (100, 60)


def test_a_16_bit_png_keeps_its_grey_instead_of_turning_white():
    buffer = io.BytesIO()
    Image.new("I;16", (40, 30), 30000).save(buffer, "PNG")  # 46 % of 65535
    photo = services.photo_create(owner=make_user(), file=upload("scan.png", buffer.getvalue(), "image/png"))
    for field in (photo.image, photo.thumbnail):
        with Image.open(field.path) as stored:
            assert stored.getpixel((10, 10)) == pytest.approx((117, 117, 117), abs=2)


# Aspect ratio: what the engine cannot paint is refused at upload, saying what is allowed.


@pytest.mark.parametrize("size", [(20000, 2), (180, 20), (20, 180)], ids=["20000x2", "9:1", "1:9"])
def test_an_image_too_long_and_narrow_to_paint_is_refused_saying_the_allowed_range(size, media_root_files):
    message = _refused(upload("strip.png", image_bytes(size, "PNG"), "image/png"))
    assert message == errors.IMAGE_TOO_NARROW.format(name="strip.png", width=size[0], height=size[1], limit=8)
    assert "from 8:1 to 1:8" in message
    assert media_root_files() == []


@pytest.mark.parametrize("size", [(160, 20), (20, 160)], ids=["8:1", "1:8"])
def test_the_most_extreme_allowed_aspect_ratio_is_accepted(size):
    assert services.photo_create(owner=make_user(), file=upload("pano.png", image_bytes(size, "PNG"))).width == size[0]


def test_the_allowed_aspect_ratio_follows_the_smallest_size_offered(settings):
    """Offering 64 px, whose only stage is 64 px, leaves 16 px across for 4:1 and no more."""
    settings.STYLIZER_SIZES = (64, 512)
    message = _refused(upload("pano.png", image_bytes((160, 20), "PNG"), "image/png"))
    assert message == errors.IMAGE_TOO_NARROW.format(name="pano.png", width=160, height=20, limit=4)
    assert services.photo_create(owner=make_user(), file=upload("pano.png", image_bytes((80, 20), "PNG"))).width == 80
