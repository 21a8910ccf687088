"""The Gatys et al. style-transfer engine: plain PyTorch, no Django.

Public interface (everything else in this package is internal):

    open_image(source, *, name) -> PIL.Image.Image          # RGB, EXIF orientation applied
    stylize(content, styles, params, *, progress=None, should_stop=None) -> StyleResult
    warm_up(device="auto")                                  # load VGG-19 once per process

`stylize` raises `Cancelled` when `should_stop()` returns True between two steps,
`ParamsError` for parameters out of range and `ImageError` for unusable images.
"""

import importlib

from stylizer.engine.errors import Cancelled, EngineError, ImageError
from stylizer.engine.params import ParamsError, StyleParams

# The torch-backed parts load on first use, so that importing `stylizer.engine.params` (the
# settings check STYLIZER_DEVICE and STYLIZER_SIZES against it) does not import torch.
_LAZY = {
    "open_image": "image_io",
    "Progress": "optimize",
    "StyleResult": "optimize",
    "stylize": "optimize",
    "warm_up": "optimize",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"stylizer.engine.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
