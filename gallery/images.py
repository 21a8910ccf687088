"""Image handling for uploads and generated files: validation, cleaning, thumbnails.

Uploads are decoded once, checked against the size and pixel limits *before* the pixels
are decoded (so a decompression bomb costs nothing), turned upright by their EXIF
orientation, and re-encoded from pixels only: EXIF (GPS, camera, time), XMP, ICC and
text chunks never reach the disk.
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

ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "png"}
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp"
THUMBNAIL_SIDE = 480
JPEG_QUALITY = 92


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
        raise ValidationError({field: errors.NOT_AN_IMAGE.format(name=name)}, code="invalid_image")
    file.seek(0)
    try:
        with Image.open(file) as probe:
            image_format = probe.format
            width, height = probe.size
            if image_format not in ACCEPTED_FORMATS:
                raise ValidationError(
                    {field: errors.UNSUPPORTED_FORMAT.format(name=name, format=image_format)}, code="invalid_image"
                )
            if width * height > settings.UPLOAD_MAX_PIXELS:
                raise _too_many_pixels(field, name, width * height)
            probe.load()
            upright = to_rgb(ImageOps.exif_transpose(probe))
    except UnidentifiedImageError as exc:
        raise ValidationError({field: errors.NOT_AN_IMAGE.format(name=name)}, code="invalid_image") from exc
    except Image.DecompressionBombError as exc:
        # PIL refuses to even open images far above its own limit; its message has the count.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = int(found.group(1)) if found else 2 * Image.MAX_IMAGE_PIXELS
        raise _too_many_pixels(field, name, pixels) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        # Truncated data, corrupt chunks: "cannot be read".
        reason = "the file is truncated or damaged"
        raise ValidationError(
            {field: errors.IMAGE_UNREADABLE.format(name=name, reason=reason)}, code="invalid_image"
        ) from exc
    suffix = ACCEPTED_FORMATS[image_format]
    return CleanImage(
        image=encode(upright, suffix, name=f"image.{suffix}"),
        thumbnail=thumbnail(upright),
        width=upright.width,
        height=upright.height,
    )


def _too_many_pixels(field: str, name: str, pixels: int) -> ValidationError:
    message = errors.TOO_MANY_PIXELS.format(
        name=name, megapixels=pixels / 1e6, limit_megapixels=settings.UPLOAD_MAX_PIXELS / 1e6
    )
    return ValidationError({field: message}, code="too_many_pixels")


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB pixels only; transparent areas become white, as on the page."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def encode(image: Image.Image, suffix: str, *, name: str) -> ContentFile:
    """Encode pixels only (no metadata): JPEG for photos that came as JPEG, PNG otherwise."""
    buffer = io.BytesIO()
    if suffix == "jpg":
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        image.save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name=name)


def png(image: Image.Image, *, name: str) -> ContentFile:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name=name)


def jpeg(image: Image.Image, *, name: str, quality: int = 85) -> ContentFile:
    buffer = io.BytesIO()
    to_rgb(image).save(buffer, "JPEG", quality=quality)
    return ContentFile(buffer.getvalue(), name=name)


def thumbnail(image: Image.Image, *, side: int = THUMBNAIL_SIDE, name: str = "thumbnail.jpg") -> ContentFile:
    small = to_rgb(image)
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    return jpeg(small, name=name)
