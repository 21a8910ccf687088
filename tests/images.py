"""Pictures the tests draw for themselves, so the suite needs nothing outside the repository.

- `scene`: a small outdoor "photo" (sky, sun, hills, a house, a tree): flat regions, edges
  and colours, what the engine keeps of a real photo.
- `painting`: one of the procedural starter styles (gallery.starter_styles), shrunk.

Both are deterministic. `../shared/images` (real photos and paintings) is only for the
benchmarks and for extra cases that skip where it is absent (the `shared_images` fixture).
"""

from __future__ import annotations

from functools import cache

from PIL import Image, ImageDraw, ImageFilter

from gallery import starter_styles

# The quick ones to draw (Stained Glass takes most of a second).
PAINTINGS = ("Swirling Night", "Bold Blocks", "Ink Waves")


def scene(size: tuple[int, int] = (96, 96)) -> Image.Image:
    """An outdoor scene at `size` (RGB), drawn on a 256 px grid then resized."""
    width, height = 256, round(256 * size[1] / size[0])
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.55)
    for y in range(horizon):  # sky, darker at the top
        t = y / horizon
        draw.line([(0, y), (width, y)], fill=(int(70 + 110 * t), int(130 + 80 * t), int(210 + 30 * t)))
    draw.ellipse((width * 0.72, height * 0.08, width * 0.86, height * 0.08 + width * 0.14), fill=(250, 220, 90))
    draw.polygon([(0, horizon), (width * 0.35, height * 0.38), (width * 0.7, horizon)], fill=(60, 110, 70))
    draw.polygon([(width * 0.4, horizon), (width * 0.8, height * 0.42), (width, horizon)], fill=(80, 130, 80))
    draw.rectangle((0, horizon, width, height), fill=(110, 160, 70))  # meadow
    house = (width * 0.18, height * 0.6, width * 0.42, height * 0.85)
    draw.rectangle(house, fill=(200, 80, 60), outline=(40, 30, 30), width=2)
    draw.polygon([(house[0] - 6, house[1]), ((house[0] + house[2]) / 2, height * 0.47), (house[2] + 6, house[1])],
                 fill=(90, 50, 40))  # fmt: skip
    draw.rectangle((width * 0.27, height * 0.72, width * 0.33, height * 0.85), fill=(60, 40, 30))  # door
    draw.rectangle((width * 0.66, height * 0.62, width * 0.69, height * 0.82), fill=(90, 60, 30))  # trunk
    draw.ellipse((width * 0.58, height * 0.44, width * 0.77, height * 0.66), fill=(30, 90, 40))  # crown
    return image.filter(ImageFilter.SMOOTH).resize(size, Image.Resampling.LANCZOS)


@cache
def _painting(title: str) -> Image.Image:
    style = next(style for style in starter_styles.STARTER_STYLES if style.title == title)
    return starter_styles.render(style)


def painting(title: str = PAINTINGS[0], size: tuple[int, int] = (96, 60)) -> Image.Image:
    """A starter style (RGB) at `size`."""
    return _painting(title).resize(size, Image.Resampling.LANCZOS)
