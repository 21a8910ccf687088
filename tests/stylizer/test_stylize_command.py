import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from tests import images

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("stylize-inputs")
    photo = images.scene((586, 470)).convert("RGBA")  # RGBA: the command must drop the alpha
    photo.putalpha(200)
    photo.save(folder / "photo.png")
    images.painting("Bold Blocks", (120, 150)).convert("L").save(folder / "painting.png")  # greyscale (mode L)
    images.painting("Swirling Night", (150, 100)).save(folder / "painting2.jpg")
    return folder


@pytest.fixture
def photo(files) -> Path:
    return files / "photo.png"


@pytest.fixture
def painting(files) -> Path:
    return files / "painting.png"


def test_writes_a_png_of_the_requested_size(photo, painting, tmp_path, capsys):
    out = tmp_path / "out.png"
    call_command("stylize", str(photo), str(painting), "-o", str(out), "--size", "48", "--steps", "3")
    with Image.open(out) as image:
        assert image.format == "PNG" and image.mode == "RGB"
        assert max(image.size) == 48 and image.size == (48, 38)  # 586x470 photo, aspect kept
    captured = capsys.readouterr()
    assert "wrote" in captured.out and " s [3 steps" in captured.out


def test_two_styles_with_weights_and_options(photo, painting, files, tmp_path):
    out = tmp_path / "blend.png"
    style2 = files / "painting2.jpg"
    call_command(
        "stylize", str(photo), str(painting), str(style2), "-o", str(out), "--size", "32", "--steps", "2",
        "--style-weights", "0.3", "0.7", "--preserve-colors", "--optimizer", "adam", "--init", "noise", "--seed", "3",
    )  # fmt: skip
    assert Image.open(out).size == (32, 26)


def test_weights_count_must_match_styles(photo, painting, tmp_path):
    with pytest.raises(CommandError, match="style_blend needs one weight per style image"):
        call_command("stylize", str(photo), str(painting), "-o", str(tmp_path / "x.png"), "--style-weights", "1", "2")


def test_bad_input_exits_non_zero_with_one_line_naming_the_file(painting, tmp_path):
    proc = subprocess.run(
        [sys.executable, "manage.py", "stylize", "nowhere.jpg", str(painting), "-o", str(tmp_path / "x.png")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1] == "CommandError: nowhere.jpg: no such file"
    assert not (tmp_path / "x.png").exists()


def test_output_must_be_png(photo, painting, tmp_path):
    with pytest.raises(CommandError, match="the output must be a .png file"):
        call_command("stylize", str(photo), str(painting), "-o", str(tmp_path / "x.jpg"))


def test_a_fresh_process_of_the_installed_interpreter_writes_a_png(photo, painting, tmp_path):
    """The install's import boundary: a new process imports only what the install put there
    (no module this test process happened to load, no user site-packages, no PYTHONPATH).
    Without numpy, for one, torch cannot hand the painted pixels to Pillow."""
    out = tmp_path / "out.png"
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-s", "manage.py", "stylize", str(photo), str(painting), "-o", str(out)]
        + ["--size", "32", "--steps", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (32, 26)
