"""Coarse-to-fine schedules: which sizes to optimize at, and for how many steps.

Departure from Gatys et al. (on purpose): they optimize at the output size only. We
optimize at a quarter and a half of the output size first and upsample the result as
the next stage's starting point. The coarse stages settle the large-scale structure
and palette for a fraction of the cost (a step costs in proportion to the pixels), so
the full-size stage only has to paint the fine strokes.
"""

from __future__ import annotations

from dataclasses import dataclass

# Total optimizer steps of each preset and how they split across the stages, coarsest first.
PRESET_STEPS = {"draft": 100, "standard": 200, "high": 400}
STAGE_SHARES = (0.5, 0.3, 0.2)
# Below this long side a coarse stage no longer carries useful structure.
MIN_STAGE_SIDE = 128


@dataclass(frozen=True)
class Stage:
    long_side: int
    steps: int


def plan(size: int, preset: str, steps: int | None = None, multiscale: bool = True) -> list[Stage]:
    """Stages for an output whose long side is `size` px; `steps` overrides the preset's total."""
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
