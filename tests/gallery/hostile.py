"""Hostile uploads, built by hand, and the message each must get (tests name gallery.errors)."""

from __future__ import annotations

import functools
import io
import struct
import zlib
from dataclasses import dataclass

from PIL import Image, PngImagePlugin

from gallery import errors
from tests.gallery.factories import image_bytes

# What a browser would run if it took the file for a page.
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
LIMIT_MEGAPIXELS = 40  # UPLOAD_MAX_PIXELS, the default


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming_size(width: int, height: int) -> bytes:
    """A valid-looking PNG header claiming huge dimensions, with almost no data: a pixel bomb."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


@functools.cache
def real_100_megapixel_png() -> bytes:
    """A complete, decodable 10000 x 10000 image (1 bit per pixel, so it compresses to 12 kB)."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000), 1).save(buffer, "PNG")
    return buffer.getvalue()


def png_with_text(text: str, *, compressed: bool = False, international: bool = False) -> bytes:
    """A real PNG carrying `text` in a tEXt chunk (zTXt when compressed, iTXt when international)."""
    info = PngImagePlugin.PngInfo()
    if international:
        info.add_itxt("Description", text, zip=compressed)
    else:
        info.add_text("Comment", text, zip=compressed)
    return image_bytes((32, 24), "PNG", pnginfo=info)


def jpeg_with_comment(comment: bytes) -> bytes:
    return image_bytes((32, 24), "JPEG", comment=comment)


def psd(width: int = 4, height: int = 3) -> bytes:
    """A minimal Photoshop file: header, empty colour-mode/resources/layer sections, raw RGB planes."""
    header = b"8BPS" + struct.pack(">H", 1) + b"\0" * 6 + struct.pack(">HIIHH", 3, height, width, 8, 3)
    sections = struct.pack(">III", 0, 0, 0)
    planes = bytes([200]) * (width * height) + bytes([80]) * (width * height) + bytes([40]) * (width * height)
    return header + sections + struct.pack(">H", 0) + planes


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- drawn by hand -->\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" onload="alert(1)">'
    b'<circle cx="32" cy="32" r="30" fill="teal"/></svg>'
)


def truncated_jpeg() -> bytes:
    data = image_bytes((256, 256), "JPEG")
    return data[: len(data) // 2]


@dataclass(frozen=True)
class Hostile:
    id: str
    name: str
    data: bytes
    content_type: str
    message: str


def hostile_uploads() -> list[Hostile]:
    """Every input of the issue's upload item, each with the 400 message that names the file."""
    return [
        Hostile(
            "png-bomb-20000x20000",
            "bomb.png",
            png_claiming_size(20_000, 20_000),
            "image/png",
            errors.TOO_MANY_PIXELS.format(name="bomb.png", megapixels=400, limit_megapixels=LIMIT_MEGAPIXELS),
        ),
        Hostile(
            "real-100-megapixels",
            "huge.png",
            real_100_megapixel_png(),
            "image/png",
            errors.TOO_MANY_PIXELS.format(name="huge.png", megapixels=100, limit_megapixels=LIMIT_MEGAPIXELS),
        ),
        Hostile(
            "html-png-polyglot",
            "polyglot.png",
            png_with_text(HTML.decode()),
            "image/png",
            errors.HTML_IN_IMAGE.format(name="polyglot.png"),
        ),
        Hostile("svg", "drawing.svg", SVG, "image/svg+xml", errors.SVG_NOT_SUPPORTED.format(name="drawing.svg")),
        Hostile("html-renamed-jpg", "photo.jpg", HTML, "image/jpeg", errors.NOT_AN_IMAGE.format(name="photo.jpg")),
        Hostile(
            "psd",
            "layers.psd",
            psd(),
            "image/vnd.adobe.photoshop",
            errors.UNSUPPORTED_FORMAT.format(name="layers.psd", format="PSD"),
        ),
        Hostile(
            "truncated-jpeg",
            "cut.jpg",
            truncated_jpeg(),
            "image/jpeg",
            errors.IMAGE_UNREADABLE.format(name="cut.jpg", reason="the file is truncated or damaged"),
        ),
        Hostile("empty-file", "empty.jpg", b"", "image/jpeg", errors.EMPTY_FILE.format(name="empty.jpg")),
    ]
