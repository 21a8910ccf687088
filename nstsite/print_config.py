"""The print settings (gallery/services/prints.py, README Prints), read and checked here so
that settings.py stays short.

- STYLIZER_PRINT_SIDES: the long sides a print may have (px), ascending; the site offers
  those some live worker can make.
- STYLIZER_PRINT_MAX_SIDE: the largest print this worker makes; 0 (the default) decides
  from its device when it starts (stylizer/capacity.py): a CPU 2048, a GPU by its memory.
  A negative value: this worker makes no prints.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from stylizer.engine import params as engine_params
from stylizer.engine.schedule import PRINT_SIDES


def print_settings(env) -> tuple[tuple[int, ...], int]:
    text = env.str("STYLIZER_PRINT_SIDES", default=",".join(str(side) for side in PRINT_SIDES))
    try:
        sides = tuple(sorted({int(side) for side in text.split(",") if side.strip()}))
    except ValueError:
        sides = (0,)
    if not all(engine_params.MIN_SIZE < side <= engine_params.MAX_SIZE for side in sides):
        raise ImproperlyConfigured(
            f"STYLIZER_PRINT_SIDES must be a comma-separated list of whole numbers of pixels above "
            f"{engine_params.MIN_SIZE} and up to {engine_params.MAX_SIZE}, e.g. 2048,4096 (or empty: no prints); "
            f"not {text!r}."
        )
    return sides, env.int("STYLIZER_PRINT_MAX_SIDE", default=0)
