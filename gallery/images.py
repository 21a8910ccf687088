"""Image handling for uploads and generated files: validation, cleaning, thumbnails.

Uploads are decoded once, checked against the size, pixel and aspect limits *before* the
pixels are decoded (so a decompression bomb costs nothing), turned upright by their EXIF
orientation, converted to RGB as the engine converts them (`stylizer.engine.pixels`),
scaled down to the largest output size the site offers, and re-encoded from pixels only,
as a high-quality JPEG: EXIF (GPS, camera, time), XMP, ICC, text chunks, comments and
anything appended after the image never reach the disk, and what is stored is about the
size the engine can use, never many times the upload.

Refused, each with a message naming the file: an empty file, one over UPLOAD_MAX_BYTES,
anything that is not a JPEG, PNG or WebP (an SVG gets its own message; PSD, GIF, TIFF...
are named), too many pixels, a side too long for the other (the engine could not paint
it), truncated or damaged data, and an image that also carries HTML or script (a
polyglot, see `_HTML_IN_TEXT` and `_HTML_IN_BYTES`).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from gallery import errors
from stylizer.engine import pixels
from stylizer.engine.schedule import plan

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp"
THUMBNAIL_SIDE = 480
# Stored uploads: JPEG at quality 92 without chroma subsampling (4:4:4), so a painting's
# fine colour strokes survive. At 1024 px a photo takes 150-400 KB this way, about a
# quarter of a PNG, and encodes in under 20 ms (WebP at the same quality: 20-40 % smaller,
# but 4:2:0 only and 20 times slower to encode).
STORED_JPEG_QUALITY = 92

# Polyglots: a file that decodes as an image and also holds HTML, which a browser that
# sniffed it as a page would run. We never store the upload's bytes (only re-encoded
# pixels) and serve images with nosniff and a sandboxing CSP, so this is defence in depth
# and a clear answer, not the only guard. HTML hides where an image carries text or
# ignores bytes: PNG text chunks (tEXt, zTXt, iTXt), JPEG comments, metadata, and bytes
# appended after the end marker (IEND, EOI).
#
# 1. Text Pillow decoded from the file (PNG text chunks, also compressed ones; JPEG
#    comments): short, written by people or tools, so any of these tags is refused.
_HTML_IN_TEXT = re.compile(
    rb"<(?:!doctype|html|head|body|script|iframe|object|embed|svg|img|form|meta|style)[\s/>]|javascript:",
    re.IGNORECASE,
)
# 2. The raw bytes (uncompressed text chunks, comments, EXIF strings, anything appended):
#    compressed pixel data is close to random bytes, so only long markers, each followed by
#    a byte that ends a tag name. On random bytes a marker matches at a given offset with
#    probability (1/256 per symbol) x (2/256 per letter, either case) x (8/256 for the
#    end-of-name byte: whitespace, "/" or ">"):
#      <script, <iframe, <object: 1/256 x (2/256)^6 x 8/256 = 2.8e-17 each
#      javascript: (2/256)^10 x 1/256 = 3.3e-24;  <!doctype html: below 1e-30
#    about 8.4e-17 per byte in all: a 20 MB upload (2.1e7 offsets) is refused by chance
#    with probability 1.8e-9, one in about 570 million. Four-letter tags would not do
#    here: <html or <body alone is 4.6e-13 per byte (one in 100,000 uploads of 20 MB),
#    <svg 5.8e-11 (one in 800); that is why they are looked for only in decoded text.
#    (Two patterns: one starting with "<" is searched for much faster than an alternation.)
_HTML_IN_BYTES = (
    re.compile(rb"<(?:!doctype\s+html|script|iframe|object)[\s/>]", re.IGNORECASE),
    re.compile(rb"javascript:", re.IGNORECASE),
)
_SCAN_CHUNK = 1 << 20
_SCAN_OVERLAP = 64  # longer than any marker, so one split across two chunks is still found
# An SVG file: its first element is <svg>, after an optional BOM, XML declaration,
# comments and doctype (so an HTML page with an inline drawing is not taken for one).
_SVG_START = re.compile(
    rb"""\A (?:\xef\xbb\xbf)? \s*
    (?:<\?xml[^>]*>\s*)?
    (?:<!--.*?-->\s* | <!doctype[^>]*>\s*)*
    <svg[\s>]""",
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)


@dataclass(frozen=True)
class CleanImage:
    """A validated upload, re-encoded without metadata, and its thumbnail."""

    image: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def clean_upload(file: IO[bytes], *, name: str, field: str = "image") -> CleanImage:
    """Validate an uploaded image and return it cleaned; raise ValidationError({field: ...})."""
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
    if size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            {
                field: errors.FILE_TOO_LARGE.format(
                    name=name, size_mb=size / 2**20, limit_mb=settings.UPLOAD_MAX_BYTES / 2**20
                )
            },
            code="too_large",
        )
    if size == 0:
        raise ValidationError({field: errors.EMPTY_FILE.format(name=name)}, code="empty")
    file.seek(0)
    try:
        with Image.open(file) as probe:
            image_format = probe.format
            width, height = probe.size
            if image_format not in ACCEPTED_FORMATS:
                raise ValidationError(
                    {field: errors.UNSUPPORTED_FORMAT.format(name=name, format=image_format)}, code="invalid_image"
                )
            if width * height > max_pixels():
                raise _too_many_pixels(field, name, width * height)
            limit = max_aspect()
            if max(width, height) > limit * min(width, height):
                message = errors.IMAGE_TOO_NARROW.format(name=name, width=width, height=height, limit=limit)
                raise ValidationError({field: message}, code="invalid_image")
            if _html_in_bytes(file):
                raise ValidationError({field: errors.HTML_IN_IMAGE.format(name=name)}, code="invalid_image")
            stored_side = max(settings.STYLIZER_SIZES)
            # A JPEG decodes at 1/2, 1/4 or 1/8 scale almost for free: no larger than needed.
            probe.draft(None, pixels.fit_long_side((width, height), stored_side))
            probe.load()
            if _html_in_text(probe):
                raise ValidationError({field: errors.HTML_IN_IMAGE.format(name=name)}, code="invalid_image")
            ImageOps.exif_transpose(probe, in_place=True)
            upright = _shrink(pixels.to_rgb(probe), stored_side)
    except UnidentifiedImageError as exc:
        file.seek(0)
        message = errors.SVG_NOT_SUPPORTED if _SVG_START.match(file.read(4096)) else errors.NOT_AN_IMAGE
        raise ValidationError({field: message.format(name=name)}, code="invalid_image") from exc
    except Image.DecompressionBombError as exc:
        # PIL refuses to even open images far above its own limit; its message has the count.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        count = int(found.group(1)) if found else 2 * Image.MAX_IMAGE_PIXELS
        raise _too_many_pixels(field, name, count) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        # Truncated data, corrupt chunks: "cannot be read".
        reason = "the file is truncated or damaged"
        raise ValidationError(
            {field: errors.IMAGE_UNREADABLE.format(name=name, reason=reason)}, code="invalid_image"
        ) from exc
    return CleanImage(
        image=jpeg(upright, name="image.jpg", quality=STORED_JPEG_QUALITY, subsampling=0),
        thumbnail=thumbnail(upright),
        width=upright.width,
        height=upright.height,
    )


def header_size(file: IO[bytes]) -> tuple[int, int] | None:
    """(width, height) read from an upload's header, nothing decoded; None if it cannot be read
    (clean_upload then says why)."""
    position = file.tell()
    try:
        with Image.open(file) as probe:
            return probe.size
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    finally:
        file.seek(position)


def max_pixels() -> int:
    """The largest image decoded, for uploads and jobs alike: UPLOAD_MAX_PIXELS, else the engine's."""
    return settings.UPLOAD_MAX_PIXELS or pixels.MAX_PIXELS


def max_aspect() -> float:
    """The longest long-to-short side ratio an upload may have: scaled to the coarsest stage of the
    smallest size offered, its short side must keep the MIN_SIDE px the engine needs."""
    coarsest = plan(min(settings.STYLIZER_SIZES), "draft")[0].long_side
    return pixels.max_aspect(coarsest)


def _shrink(image: Image.Image, long_side: int) -> Image.Image:
    """`image` scaled down (never up) so that its long side is at most `long_side`."""
    if max(image.size) <= long_side:
        return image
    return image.resize(pixels.fit_long_side(image.size, long_side), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _html_in_bytes(file: IO[bytes]) -> bool:
    """Whether the raw bytes hold a long HTML marker; read in overlapping chunks, position kept."""
    position = file.tell()
    file.seek(0)
    tail = b""
    try:
        while chunk := file.read(_SCAN_CHUNK):
            if any(pattern.search(tail + chunk) for pattern in _HTML_IN_BYTES):
                return True
            tail = chunk[-_SCAN_OVERLAP:]
        return False
    finally:
        file.seek(position)


def _html_in_text(image: Image.Image) -> bool:
    """Whether text the decoded image carries holds HTML: PNG text chunks (inflated) and JPEG comments."""
    texts = [value.encode() for value in getattr(image, "text", {}).values()]  # PNG
    texts += [data for marker, data in getattr(image, "applist", []) if marker == "COM"]  # JPEG
    return any(_HTML_IN_TEXT.search(text) for text in texts)


def _too_many_pixels(field: str, name: str, count: int) -> ValidationError:
    message = errors.TOO_MANY_PIXELS.format(name=name, megapixels=count / 1e6, limit_megapixels=max_pixels() / 1e6)
    return ValidationError({field: message}, code="too_many_pixels")


def png(image: Image.Image, *, name: str) -> ContentFile:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name=name)


def jpeg(image: Image.Image, *, name: str, quality: int = 85, **options) -> ContentFile:
    buffer = io.BytesIO()
    pixels.to_rgb(image).save(buffer, "JPEG", quality=quality, **options)
    return ContentFile(buffer.getvalue(), name=name)


def thumbnail(image: Image.Image, *, side: int = THUMBNAIL_SIDE, name: str = "thumbnail.jpg") -> ContentFile:
    small = pixels.to_rgb(image)
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    return jpeg(small, name=name)
