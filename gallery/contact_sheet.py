"""A batch's contact sheet: the photo and each result side by side, captioned, in one JPEG.

Drawn on request from the stored files (Pillow only), so it shows whatever has finished;
a result still to come is a grey tile saying so.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile
from django.http import HttpResponse
from PIL import Image, ImageDraw, ImageFont, ImageOps

from gallery import images
from gallery.models import Batch, Stylization
from gallery.responses import IMAGE_HEADERS

TILE = 320  # px: each picture fits a TILE x TILE box
CAPTION = 36
GAP = 12
COLUMNS = 4
FONT_SIZE = 18
BACKGROUND = (250, 249, 246)
INK = (30, 28, 36)
PENDING = (226, 223, 232)


def _open(field: FieldFile) -> Image.Image | None:
    if not field:
        return None
    try:
        with field.open("rb") as handle:
            return ImageOps.contain(Image.open(handle).convert("RGB"), (TILE, TILE))
    except (FileNotFoundError, OSError):
        return None


def _caption(stylization: Stylization) -> str:
    title = " + ".join(link.style.title for link in stylization.style_links.all())
    if stylization.status == Stylization.Status.SUCCEEDED:
        return title
    return f"{title} ({stylization.get_status_display().lower()})"


def render(batch: Batch, stylizations: Sequence[Stylization]) -> ContentFile:
    tiles = [("Photo", _open(batch.photo.image))]
    tiles += [(_caption(stylization), _open(stylization.result)) for stylization in stylizations]
    columns = min(COLUMNS, len(tiles))
    rows = -(-len(tiles) // columns)
    width = columns * TILE + (columns + 1) * GAP
    height = rows * (TILE + CAPTION) + (rows + 1) * GAP
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=FONT_SIZE)
    for index, (caption, picture) in enumerate(tiles):
        x = GAP + (index % columns) * (TILE + GAP)
        y = GAP + (index // columns) * (TILE + CAPTION + GAP)
        if picture is None:
            draw.rectangle((x, y, x + TILE - 1, y + TILE - 1), fill=PENDING)
            draw.text((x + TILE // 2, y + TILE // 2), "not ready yet", fill=INK, anchor="mm", font=font)
        else:
            sheet.paste(picture, (x + (TILE - picture.width) // 2, y + (TILE - picture.height) // 2))
        draw.text((x + TILE // 2, y + TILE + CAPTION // 2), caption[:40], fill=INK, anchor="mm", font=font)
    return images.jpeg(sheet, name="contact-sheet.jpg", quality=88)


def response(batch: Batch, *, download: bool = False) -> HttpResponse:
    """The sheet as an image response (the same headers as every stored image's), drawn now."""
    sheet = render(batch, list(batch.stylizations.all()))
    answer = HttpResponse(sheet.read(), content_type="image/jpeg")
    answer["Cache-Control"] = "private, no-cache"
    if download:
        answer["Content-Disposition"] = 'attachment; filename="contact-sheet.jpg"'
    for header, value in IMAGE_HEADERS.items():
        answer[header] = value
    return answer
