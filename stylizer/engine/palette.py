"""Colour transfer for the starting image: the photo, repainted in the painting's palette.

Departure from Gatys et al. (on purpose): they start from noise or from the photo. Starting
from the photo, the optimizer has to move every pixel's colour a long way before the
strokes can form, and at the step counts a CPU affords the shapes melt before the palette
arrives. Moving the photo's colours to the painting's first (the linear map that carries
one Gaussian onto the other, which changes the colours as little as possible: the
Monge map of Pitie & Kokaram 2007) lets the optimization spend its steps on texture.
"""

from __future__ import annotations

import torch

from stylizer.engine.wasserstein import sqrtm_eig

# Added to the colour covariances (0..1 RGB units): keeps a flat photo or a greyscale
# painting (a singular covariance) from producing an unbounded map.
COLOR_RIDGE = 1e-5


def color_moments(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (3,) and second raw moment (3, 3) of a (1, 3, H, W) RGB image."""
    flat = image.reshape(3, -1).double()
    return flat.mean(dim=1), (flat @ flat.t()) / flat.shape[1]


def transfer(image: torch.Tensor, mean: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """`image` with its colour mean and covariance moved to (mean, second raw moment), clamped to 0..1."""
    eye = torch.eye(3, dtype=torch.float64)
    source_mean, source_second = color_moments(image)
    source_cov = source_second - torch.outer(source_mean, source_mean) + COLOR_RIDGE * eye
    target_cov = second.double() - torch.outer(mean.double(), mean.double()) + COLOR_RIDGE * eye
    root = sqrtm_eig(source_cov)
    inverse_root = torch.linalg.inv(root)
    # A = S^-1/2 (S^1/2 T S^1/2)^1/2 S^-1/2 maps N(m_s, S) onto N(m_t, T) and is symmetric.
    matrix = inverse_root @ sqrtm_eig(root @ target_cov @ root) @ inverse_root
    flat = image.reshape(3, -1).double()
    moved = matrix @ (flat - source_mean[:, None]) + mean.double()[:, None]
    return moved.reshape(image.shape).to(image.dtype).clamp(0, 1)


def palette_of(styles: list[torch.Tensor], blend: list[float]) -> tuple[torch.Tensor, torch.Tensor]:
    """The blend's colour mean and second raw moment (moments average linearly, as in a mixture)."""
    pairs = [color_moments(style) for style in styles]
    mean = sum(b * m for b, (m, _) in zip(blend, pairs))
    second = sum(b * s for b, (_, s) in zip(blend, pairs))
    return mean, second
