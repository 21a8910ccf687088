"""What an image must be for the engine, and the one conversion to its RGB pixels.

Pillow only, no torch: the web tier checks and converts uploads with these same rules
(gallery/images.py) without loading PyTorch, and the engine opens images with them
(image_io.py), so an upload the site accepts is one a job can paint.
"""

from __future__ import annotations

from PIL import Image

# The largest image decoded, in pixels (40 MP). The web tier's UPLOAD_MAX_PIXELS defaults
# to it, and jobs open stored images with that setting, so the two never disagree.
MAX_PIXELS = 40_000_000

# VGG-19 halves the image with a 2x2 max pool four times before relu5_1, the deepest layer
# of the objective: a 16 px side ends at 1 px there, and a 15 px one at 0, where
# max_pool2d fails ("Output size is too small"). Every stage of a job needs at least this
# many pixels on its short side, for the photo and for each style image.
MIN_SIDE = 16


def fit_long_side(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """(width, height) scaled so that the longer side is `long_side`, aspect kept."""
    width, height = size
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def max_aspect(smallest_long_side: int) -> float:
    """The longest long-to-short side ratio that still leaves MIN_SIDE px across when the
    image is scaled to `smallest_long_side` (the coarsest stage a job will run)."""
    return smallest_long_side / MIN_SIDE


def to_rgb(image: Image.Image) -> Image.Image:
    """A new 8-bit RGB image of the pixels only.

    Alpha is composited on white (as the pages show a transparent image), 16-bit values are
    scaled to 8 bits rather than clipped (a 16-bit PNG would otherwise come out white),
    greyscale, palette and CMYK are converted. Nothing of the source's `info` comes along:
    Pillow's `convert` copies it, and its encoders write what they find there (a PNG's ICC
    profile, a JPEG's comment).
    """
    if image.mode.startswith("I;16") or image.mode == "I":
        # 16-bit PNGs open as I;16 (I in older Pillows): 0..65535. A 32-bit integer image is
        # 8-bit data if every value fits, else scaled by its own largest value.
        sixteen_bit = image.mode != "I"
        image = image.convert("I")
        top = image.getextrema()[1]
        high = max(65535 if sixteen_bit or top > 255 else 255, top)
        image = image.point(lambda value: value * (255.0 / high) + 0.5, "F").convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, (255, 255, 255))
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    else:
        rgb = image.convert("RGB")
    rgb.info = {}
    return rgb
