"""Procedural starter styles, so a fresh install has a catalogue without shipping any
third-party image. Each generator is deterministic (seeded) and returns a PIL image.

Used by the data migration `0002_starter_styles`; staff add real paintings through the
admin or `manage.py import_styles`. `scene` draws a small outdoor "photo" that the landing
page's examples start from (`manage.py make_examples`) and the tests use.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter

SIDE = 512


@dataclass(frozen=True)
class StarterStyle:
    title: str
    artist: str
    year: str
    draw: Callable[[random.Random], Image.Image]


def _palette_pick(rng: random.Random, palette: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    return rng.choice(palette)


def swirling_strokes(rng: random.Random) -> Image.Image:
    """Short curved strokes following a swirling field, in night blues and yellows."""
    palette = [(23, 42, 94), (38, 72, 140), (70, 110, 180), (222, 196, 80), (245, 228, 140), (18, 28, 60)]
    image = Image.new("RGB", (SIDE, SIDE), (28, 46, 100))
    draw = ImageDraw.Draw(image)
    centres = [(rng.uniform(0, SIDE), rng.uniform(0, SIDE)) for _ in range(4)]
    for _ in range(5000):
        x, y = rng.uniform(0, SIDE), rng.uniform(0, SIDE)
        colour = _palette_pick(rng, palette)
        points = [(x, y)]
        for _ in range(6):
            angle = sum(math.atan2(y - cy, x - cx) + math.pi / 2 for cx, cy in centres) / len(centres)
            x, y = x + 4 * math.cos(angle), y + 4 * math.sin(angle)
            points.append((x, y))
        draw.line(points, fill=colour, width=rng.randint(2, 4))
    return image.filter(ImageFilter.SMOOTH)


def stained_glass(rng: random.Random) -> Image.Image:
    """Voronoi cells in saturated colours with dark leading."""
    palette = [(176, 38, 52), (233, 160, 40), (40, 110, 170), (50, 140, 90), (120, 60, 140), (235, 220, 180)]
    small = 128
    seeds = [(rng.uniform(0, small), rng.uniform(0, small), _palette_pick(rng, palette)) for _ in range(70)]
    cells = Image.new("RGB", (small, small))
    pixels = cells.load()
    for y in range(small):
        for x in range(small):
            nearest = sorted(seeds, key=lambda seed: (seed[0] - x) ** 2 + (seed[1] - y) ** 2)[:2]
            (ax, ay, colour), (bx, by, _) = nearest
            edge = math.dist((x, y), (bx, by)) - math.dist((x, y), (ax, ay)) < 1.2
            pixels[x, y] = (20, 18, 24) if edge else colour
    return cells.resize((SIDE, SIDE), Image.Resampling.NEAREST).filter(ImageFilter.GaussianBlur(1))


def bold_blocks(rng: random.Random) -> Image.Image:
    """Overlapping flat rectangles and circles in primary colours on cream."""
    palette = [(200, 30, 40), (30, 60, 150), (245, 200, 30), (20, 20, 20), (240, 236, 224)]
    image = Image.new("RGB", (SIDE, SIDE), (240, 236, 224))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x0, y0 = rng.uniform(-50, SIDE), rng.uniform(-50, SIDE)
        w, h = rng.uniform(30, 220), rng.uniform(30, 220)
        shape = draw.rectangle if rng.random() < 0.7 else draw.ellipse
        shape((x0, y0, x0 + w, y0 + h), fill=_palette_pick(rng, palette), outline=(20, 20, 20), width=6)
    return image


def ink_waves(rng: random.Random) -> Image.Image:
    """Layered wave crests in indigo and foam white, like a woodblock print."""
    image = Image.new("RGB", (SIDE, SIDE), (236, 228, 208))
    draw = ImageDraw.Draw(image)
    for row in range(26):
        base = row * 22 - 20
        phase = rng.uniform(0, math.tau)
        amplitude = rng.uniform(6, 16)
        shade = (20 + row * 2, 40 + row * 3, 90 + row * 4)
        crest = [(x, base + amplitude * math.sin(x / 28 + phase)) for x in range(0, SIDE + 8, 8)]
        draw.polygon([*crest, (SIDE, SIDE), (0, SIDE)], fill=shade)
        draw.line(crest, fill=(240, 240, 232), width=3)
    return image


STARTER_STYLES: tuple[StarterStyle, ...] = (
    StarterStyle("Swirling Night", "nstsite (procedural)", "2026", swirling_strokes),
    StarterStyle("Stained Glass", "nstsite (procedural)", "2026", stained_glass),
    StarterStyle("Bold Blocks", "nstsite (procedural)", "2026", bold_blocks),
    StarterStyle("Ink Waves", "nstsite (procedural)", "2026", ink_waves),
)


def render(style: StarterStyle, *, seed: int = 7) -> Image.Image:
    return style.draw(random.Random(f"{style.title}-{seed}"))


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
