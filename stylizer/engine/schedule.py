"""Coarse-to-fine schedules: which sizes to optimize at, and for how many steps.

Departure from Gatys et al. (on purpose): they optimize at the output size only. We
optimize at smaller sizes first and upsample the result as the next stage's starting
point. The coarse stages settle the large-scale structure and palette for a fraction of
the cost (a step costs in proportion to the pixels), so the full-size stage only has to
paint the fine strokes.

Two ladders:
- "sqrt2" (the default objective, after crowsonkb/style-transfer-pytorch): sizes grow by
  a factor of sqrt(2) from 128 px (128, 181, 256, 362, 512 for a 512 px output), with the
  preset's steps per stage, most at the cheap coarse sizes. Small steps in size leave
  nothing for the next stage to repair, so no seams or scale jumps show.
- "halves" (the Gram objective, as before): a quarter, a half and the full size, the
  preset's total split 50/30/20 %.
"""

from __future__ import annotations

from dataclasses import dataclass

# Total optimizer steps of each preset and how they split across the stages, coarsest first.
PRESET_STEPS = {"draft": 100, "standard": 200, "high": 400}
STAGE_SHARES = (0.5, 0.3, 0.2)
# Below this long side a coarse stage no longer carries useful structure.
MIN_STAGE_SIDE = 128


# Steps at each rung of the sqrt(2) ladder, coarsest first; outputs above 512 px repeat
# the last count at each further rung, smaller ones stop early.
LADDER_STEPS = {
    "draft": (30, 20, 15, 10, 8),
    "standard": (60, 40, 30, 20, 15),
    "high": (100, 70, 50, 35, 30),
}


@dataclass(frozen=True)
class Stage:
    long_side: int
    steps: int


def plan(
    size: int, preset: str, steps: int | None = None, multiscale: bool = True, ladder: str = "sqrt2"
) -> list[Stage]:
    """Stages for an output whose long side is `size` px; `steps` overrides the preset's total."""
    if ladder == "sqrt2":
        return _sqrt2_plan(size, preset, steps, multiscale)
    total = steps if steps is not None else PRESET_STEPS[preset]
    sides = [size]
    if multiscale:
        while len(sides) < len(STAGE_SHARES) and sides[0] // 2 >= MIN_STAGE_SIDE:
            sides.insert(0, sides[0] // 2)
    shares = STAGE_SHARES[len(STAGE_SHARES) - len(sides) :]
    share_sum = sum(shares)
    counts = [int(total * share / share_sum) for share in shares]
    counts[-1] += total - sum(counts)  # rounding remainder goes to the full-size stage
    return [Stage(side, count) for side, count in zip(sides, counts) if count > 0]


def ladder_of(style_loss: str) -> str:
    """The ladder a style loss climbs: the Gram loss keeps the previous one."""
    return "halves" if style_loss == "gram" else "sqrt2"


def ladder_sides(size: int) -> list[int]:
    """128, 181, 256, ... (x sqrt(2), rounded) up to `size`, which is always the last."""
    sides = [size]
    while round(sides[0] / 2**0.5) >= MIN_STAGE_SIDE:
        sides.insert(0, round(size / 2 ** (len(sides) / 2)))
    return sides


def _sqrt2_plan(size: int, preset: str, steps: int | None, multiscale: bool) -> list[Stage]:
    sides = ladder_sides(size) if multiscale else [size]
    table = LADDER_STEPS[preset]
    counts = [table[min(i, len(table) - 1)] for i in range(len(sides))]
    if steps is not None:
        # Keep the preset's proportions; the rounding remainder goes to the coarsest stage.
        scaled = [int(steps * count / sum(counts)) for count in counts]
        scaled[-1] = max(scaled[-1], 1)  # the output size always gets a stage
        scaled[0] += steps - sum(scaled)
        counts = scaled
    return [Stage(side, count) for side, count in zip(sides, counts) if count > 0]


# Prints: a finished result continued up the same sqrt(2) ladder to a large size (the
# long sides a print may have; the site offers those a worker can make).
PRINT_SIDES = (2048, 4096)
# Steps at each print rung by its size: the rung sqrt(2)^k times 512 px gets
# PRINT_STEPS[k - 1] (rungs at or below 512 px the first count, above 4096 the last). A step
# costs in proportion to the pixels, so the large rungs get few: the painting is already
# there, they only sharpen its strokes at the new size. Measured on a 2-core CPU: README,
# Prints.
PRINT_STEPS = (8, 6, 4, 3, 2, 2)
# Rungs closer than this to the finished result's size are skipped (nothing to add there).
PRINT_MIN_GROWTH = 1.1


def print_plan(from_side: int, size: int, steps: int | None = None) -> list[Stage]:
    """The rungs that continue a finished `from_side` px result to a `size` px print: the
    sqrt(2) ladder below `size` (``size / sqrt(2)**k``), those above the result's size.
    `steps` caps the total (STYLIZER_MAX_STEPS), each rung keeping at least one."""
    sides = [side for side in ladder_sides_from(size) if side >= from_side * PRINT_MIN_GROWTH] or [size]
    counts = [_print_steps(side) for side in sides]
    if steps is not None and steps < sum(counts):
        counts = [max(1, count * steps // sum(counts)) for count in counts]
    return [Stage(side, count) for side, count in zip(sides, counts)]


def ladder_sides_from(size: int) -> list[int]:
    """Every rung of the sqrt(2) ladder up to `size` (down to one px), coarsest first."""
    sides = [size]
    while round(size / 2 ** (len(sides) / 2)) >= 1:
        sides.insert(0, round(size / 2 ** (len(sides) / 2)))
    return sides


def _print_steps(side: int) -> int:
    import math

    rung = round(2 * math.log2(side / 512))
    return PRINT_STEPS[min(max(rung, 1), len(PRINT_STEPS)) - 1]
