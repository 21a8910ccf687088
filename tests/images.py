"""Pictures the tests draw for themselves, so the suite needs nothing outside the repository.

- `scene`: a small outdoor "photo" (sky, sun, hills, a house, a tree): flat regions, edges
  and colours, what the engine keeps of a real photo.
- `painting`: one of the procedural starter styles (gallery.starter_styles), shrunk.

Both are deterministic. `../shared/images` (real photos and paintings) is only for the
benchmarks and for extra cases that skip where it is absent (the `shared_images` fixture).
"""

from __future__ import annotations

from functools import cache

from PIL import Image

from gallery import starter_styles

# Drawn by the app too: the landing page's examples start from it (gallery/starter_styles.py).
scene = starter_styles.scene

# The quick ones to draw (Stained Glass takes most of a second).
PAINTINGS = ("Swirling Night", "Bold Blocks", "Ink Waves")


@cache
def _painting(title: str) -> Image.Image:
    style = next(style for style in starter_styles.STARTER_STYLES if style.title == title)
    return starter_styles.render(style)


def painting(title: str = PAINTINGS[0], size: tuple[int, int] = (96, 60)) -> Image.Image:
    """A starter style (RGB) at `size`."""
    return _painting(title).resize(size, Image.Resampling.LANCZOS)
