import io

import pytest
import torch
from PIL import Image

from stylizer.engine import ImageError, open_image
from stylizer.engine.image_io import keep_colors, rgb_to_ycbcr, to_image, to_tensor


def _encoded(image: Image.Image, fmt: str, **save_args) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save_args)
    return buffer.getvalue()


def test_reads_a_path_and_names_missing_files(tmp_path):
    path = tmp_path / "photo.png"
    Image.new("RGB", (8, 4), (10, 20, 30)).save(path)
    assert open_image(path).size == (8, 4)
    with pytest.raises(ImageError, match=r"^missing\.jpg: no such file$"):
        open_image(tmp_path / "missing.jpg")


def test_not_an_image_is_refused_by_name():
    with pytest.raises(ImageError, match=r"^notes\.txt: not an image file we can read"):
        open_image(b"hello, I am text", name="notes.txt")


def test_zero_byte_file_is_refused(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(ImageError, match=r"^empty\.jpg: not an image file"):
        open_image(empty)


def test_truncated_jpeg_is_refused():
    data = _encoded(Image.effect_noise((64, 64), 50).convert("RGB"), "JPEG")
    with pytest.raises(ImageError, match=r"^cut\.jpg: the image file is truncated or corrupt"):
        open_image(data[: len(data) // 2], name="cut.jpg")


def test_decompression_bomb_is_refused_before_decoding():
    bomb = _encoded(Image.new("1", (9000, 5000)), "PNG")  # 45 MP, a few kB on disk
    assert len(bomb) < 100_000
    with pytest.raises(ImageError, match=r"^bomb\.png: the image is too large \(9000x5000 = 45\.0 megapixels"):
        open_image(bomb, name="bomb.png")


def test_greyscale_becomes_rgb_grey():
    image = open_image(_encoded(Image.new("L", (4, 4), 77), "PNG"))
    assert image.mode == "RGB" and image.getpixel((0, 0)) == (77, 77, 77)


def test_rgba_alpha_is_composited_on_white():
    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 0))  # fully transparent red
    rgba.putpixel((0, 0), (255, 0, 0, 255))
    image = open_image(_encoded(rgba, "PNG"))
    assert image.mode == "RGB"
    assert image.getpixel((0, 0)) == (255, 0, 0)
    assert image.getpixel((3, 3)) == (255, 255, 255)


def test_cmyk_jpeg_is_converted():
    image = open_image(_encoded(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG"))  # red in CMYK
    red, green, blue = image.getpixel((4, 4))
    assert image.mode == "RGB" and red > 200 and green < 60 and blue < 60


def test_16_bit_greyscale_is_scaled_not_clipped():
    deep = Image.new("I;16", (4, 4), 32768)  # half of 65535
    image = open_image(_encoded(deep, "PNG"))
    assert image.getpixel((0, 0)) == (128, 128, 128)


def test_exif_orientation_is_applied():
    landscape = Image.new("RGB", (40, 20), (0, 0, 255))
    landscape.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display needs a 90 degree clockwise turn
    image = open_image(_encoded(landscape, "JPEG", exif=exif, quality=95))
    assert image.size == (20, 40)
    top_red, _, _ = image.getpixel((10, 5))
    assert top_red > 200  # the stored left half is on top after the turn


def test_tensor_round_trip_is_lossless():
    image = Image.effect_noise((16, 8), 60).convert("RGB")
    tensor = to_tensor(image)
    assert tensor.shape == (1, 3, 8, 16) and 0 <= tensor.min() and tensor.max() <= 1
    assert to_image(tensor).tobytes() == image.tobytes()


def test_keep_colors_takes_luma_from_stylized_and_chroma_from_content():
    torch.manual_seed(0)
    stylized, content = torch.rand(1, 3, 8, 8) * 0.5 + 0.25, torch.rand(1, 3, 8, 8) * 0.2 + 0.4
    mixed = rgb_to_ycbcr(keep_colors(stylized, content))
    assert torch.allclose(mixed[:, 1:], rgb_to_ycbcr(content)[:, 1:], atol=2e-2)
    assert torch.allclose(mixed[:, :1], rgb_to_ycbcr(stylized)[:, :1], atol=0.1)
