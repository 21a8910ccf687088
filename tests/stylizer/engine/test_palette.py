import torch

from stylizer.engine.image_io import to_tensor
from stylizer.engine.palette import color_moments, palette_of, transfer


def covariance(image: torch.Tensor) -> torch.Tensor:
    mean, second = color_moments(image)
    return second - torch.outer(mean, mean)


def test_palette_moves_the_photos_colour_mean_and_covariance_to_the_paintings(photo, painting):
    photo_t, painting_t = to_tensor(photo), to_tensor(painting)
    moved = transfer(photo_t, *palette_of([painting_t], [1.0]))
    target_mean, _ = color_moments(painting_t)
    assert torch.allclose(color_moments(moved)[0], target_mean, atol=0.02)
    # Up to the clamp to 0..1 (a few pixels of the moved photo fall outside).
    target_cov = covariance(painting_t)
    off = lambda image: ((covariance(image) - target_cov).norm() / target_cov.norm()).item()  # noqa: E731
    assert off(moved) < 0.15
    # It was far from there before.
    assert (color_moments(photo_t)[0] - target_mean).abs().max() > 0.05
    assert off(photo_t) > 3 * off(moved)
    assert moved.shape == photo_t.shape and moved.min() >= 0 and moved.max() <= 1


def test_palette_keeps_the_photos_layout(photo, painting):
    """An affine colour map: the photo's edges stay where they were."""
    photo_t = to_tensor(photo)
    moved = transfer(photo_t, *palette_of([to_tensor(painting)], [1.0]))
    luma = lambda image: image.mean(dim=1).flatten()  # noqa: E731
    assert torch.corrcoef(torch.stack([luma(photo_t), luma(moved)]))[0, 1].abs() > 0.8


def test_a_greyscale_painting_gives_a_grey_start(photo):
    grey = torch.linspace(0, 1, 64).repeat(3, 64, 1).unsqueeze(0)  # R = G = B
    moved = transfer(to_tensor(photo), *palette_of([grey], [1.0]))
    assert (moved[:, 0] - moved[:, 1]).abs().max() < 0.02 and (moved[:, 1] - moved[:, 2]).abs().max() < 0.02


def test_a_blend_of_two_paintings_averages_their_palettes():
    red = torch.zeros(1, 3, 8, 8)
    red[:, 0] = 1
    blue = torch.zeros(1, 3, 8, 8)
    blue[:, 2] = 1
    mean, _ = palette_of([red, blue], [0.25, 0.75])
    assert torch.allclose(mean, torch.tensor([0.25, 0.0, 0.75], dtype=mean.dtype))
