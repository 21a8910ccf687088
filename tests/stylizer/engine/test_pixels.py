"""stylizer.engine.pixels: the rules and the RGB conversion the web tier and the engine share."""

import subprocess
import sys

import pytest
from PIL import Image

from stylizer.engine import StyleParams, stylize
from stylizer.engine.pixels import MIN_SIDE, to_rgb
from tests.conftest import ROOT


def test_the_module_loads_without_torch():
    """The web tier checks and converts uploads with it, and is to run without PyTorch."""
    code = (
        "import importlib.util, sys; "
        "spec = importlib.util.spec_from_file_location('pixels', 'stylizer/engine/pixels.py'); "
        "spec.loader.exec_module(importlib.util.module_from_spec(spec)); "
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('torch', 'numpy', 'django')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I"])
def test_16_bit_grey_is_scaled_to_8_bits(mode):
    assert to_rgb(Image.new(mode, (4, 4), 30000)).getpixel((0, 0)) == (117, 117, 117)
    assert to_rgb(Image.new(mode, (4, 4), 65535)).getpixel((0, 0)) == (255, 255, 255)


def test_8_bit_values_in_a_32_bit_image_are_kept():
    assert to_rgb(Image.new("I", (4, 4), 200)).getpixel((0, 0)) == (200, 200, 200)


@pytest.mark.parametrize(("mode", "colour"), [("RGBA", (0, 0, 255, 0)), ("LA", (0, 0))])
def test_transparent_pixels_become_white(mode, colour):
    assert to_rgb(Image.new(mode, (4, 4), colour)).getpixel((0, 0)) == (255, 255, 255)


def test_nothing_of_the_source_info_comes_along():
    image = Image.new("RGB", (4, 4))
    image.info = {"icc_profile": b"profile", "comment": b"hello"}
    assert to_rgb(image).info == {}


def test_min_side_is_the_least_vgg_19_takes():
    """Painted at MIN_SIDE px across it works; one pixel less and the network's last pool fails."""
    style = Image.new("RGB", (64, 64), (30, 60, 200))
    params = StyleParams(size=64, steps=1, device="cpu")
    assert stylize(Image.new("RGB", (64, MIN_SIDE), (200, 80, 40)), [style], params).image.size == (64, MIN_SIDE)
    with pytest.raises(RuntimeError, match="too small"):
        stylize(Image.new("RGB", (64, MIN_SIDE - 1), (200, 80, 40)), [style], params)
