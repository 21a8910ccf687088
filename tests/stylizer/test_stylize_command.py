import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT.parent / "shared" / "images"
PHOTO = IMAGES / "content" / "hummingbird.png"  # RGBA: the command must drop the alpha
PAINTING = IMAGES / "styles" / "composition_xiii_woman_in_studio.png"  # greyscale (mode L)


def test_writes_a_png_of_the_requested_size(tmp_path, capsys):
    out = tmp_path / "out.png"
    call_command("stylize", str(PHOTO), str(PAINTING), "-o", str(out), "--size", "48", "--steps", "3")
    with Image.open(out) as image:
        assert image.format == "PNG" and image.mode == "RGB"
        assert max(image.size) == 48 and image.size == (48, 38)  # 586x470 photo, aspect kept
    captured = capsys.readouterr()
    assert "wrote" in captured.out and " s [3 steps" in captured.out


def test_two_styles_with_weights_and_options(tmp_path):
    out = tmp_path / "blend.png"
    style2 = IMAGES / "styles" / "starry_night.jpg"
    call_command(
        "stylize", str(PHOTO), str(PAINTING), str(style2), "-o", str(out), "--size", "32", "--steps", "2",
        "--style-weights", "0.3", "0.7", "--preserve-colors", "--optimizer", "adam", "--init", "noise", "--seed", "3",
    )  # fmt: skip
    assert Image.open(out).size == (32, 26)


def test_weights_count_must_match_styles(tmp_path):
    with pytest.raises(CommandError, match="style_blend needs one weight per style image"):
        call_command("stylize", str(PHOTO), str(PAINTING), "-o", str(tmp_path / "x.png"), "--style-weights", "1", "2")


def test_bad_input_exits_non_zero_with_one_line_naming_the_file(tmp_path):
    proc = subprocess.run(
        [sys.executable, "manage.py", "stylize", "nowhere.jpg", str(PAINTING), "-o", str(tmp_path / "x.png")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1] == "CommandError: nowhere.jpg: no such file"
    assert not (tmp_path / "x.png").exists()


def test_output_must_be_png(tmp_path):
    with pytest.raises(CommandError, match="the output must be a .png file"):
        call_command("stylize", str(PHOTO), str(PAINTING), "-o", str(tmp_path / "x.jpg"))
