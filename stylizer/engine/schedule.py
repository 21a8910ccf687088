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
