"""The Gatys et al. style-transfer engine: plain PyTorch, no Django.

Public interface (everything else in this package is internal):

    open_image(source, *, name) -> PIL.Image.Image          # RGB, EXIF orientation applied
    stylize(content, styles, params, *, progress=None, should_stop=None) -> StyleResult
    warm_up(device="auto")                                  # load VGG-19 once per process

`stylize` raises `Cancelled` when `should_stop()` returns True between two steps,
`ParamsError` for parameters out of range and `ImageError` for unusable images.
"""

from stylizer.engine.errors import Cancelled, EngineError, ImageError
from stylizer.engine.image_io import open_image
from stylizer.engine.optimize import Progress, StyleResult, stylize, warm_up
from stylizer.engine.params import ParamsError, StyleParams

__all__ = [
    "Cancelled",
    "EngineError",
    "ImageError",
    "ParamsError",
    "Progress",
    "StyleParams",
    "StyleResult",
    "open_image",
    "stylize",
    "warm_up",
]
