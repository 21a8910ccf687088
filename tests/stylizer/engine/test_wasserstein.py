import pytest
import torch

from stylizer.engine.wasserstein import (
    Average,
    RelativeGramLoss,
    W2StyleLoss,
    moments,
    newton_schulz,
    sqrtm_eig,
    trace_sqrt,
    w2_distance,
)


def random_spd(size: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    a = torch.randn(size, size, generator=generator, dtype=torch.float64)
    return a @ a.t() / size + 0.1 * torch.eye(size, dtype=torch.float64)


def test_newton_schulz_square_root_matches_an_eigendecomposition():
    matrix = random_spd(40)
    root, inverse_root = newton_schulz(matrix, steps=30)
    values, vectors = torch.linalg.eigh(matrix)
    assert torch.allclose(root, (vectors * values.sqrt()) @ vectors.t(), atol=1e-8)
    assert torch.allclose(inverse_root, (vectors / values.sqrt()) @ vectors.t(), atol=1e-6)
    assert torch.allclose(root @ root, matrix, atol=1e-8)


def test_trace_sqrt_gradient_is_half_the_inverse_root():
    matrix = random_spd(12, seed=3).requires_grad_(True)
    trace_sqrt(matrix).backward()
    assert torch.allclose(matrix.grad, 0.5 * torch.linalg.inv(sqrtm_eig(matrix.detach())), atol=1e-6)


def features(seed: int, channels: int = 8, side: int = 6, shift: float = 0.0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.relu(torch.randn(1, channels, side, side, generator=generator) + shift)


def test_w2_loss_is_zero_for_identical_statistics_and_positive_otherwise():
    style = features(1)
    loss = W2StyleLoss([moments(style)], [1.0], weight=1.0)
    # The same features in another order over the positions have the same Gaussian.
    shuffled = style.flatten(2)[..., torch.randperm(36)].view_as(style)
    assert loss(shuffled).item() == pytest.approx(0.0, abs=1e-2 * loss(features(2)).item())
    assert loss(features(2)).item() > 0
    assert loss(features(2, shift=1.0)).item() > loss(features(2)).item()  # further away costs more


def test_w2_loss_is_the_exact_distance_up_to_its_scale():
    style, output = features(1), features(2, shift=0.5)
    loss = W2StyleLoss([moments(style)], [1.0], weight=1.0)
    exact = w2_distance(moments(output), moments(style))
    ratio = loss(output).item() / exact
    assert loss(features(3, shift=0.3)).item() / w2_distance(moments(features(3, shift=0.3)), moments(style)) == (
        pytest.approx(ratio, rel=0.02)
    )


def test_w2_loss_with_fewer_positions_than_channels_is_the_same_distance_counted_by_its_share():
    """Deep layers at coarse sizes take the small n x n root (same distance as the c x c one)
    and count in proportion to their positions, so they cannot paint the painting's subject
    into the coarse rungs."""
    style = features(1, channels=16, side=8)
    output = features(2, channels=16, side=3)  # 9 positions < 16 channels
    loss = W2StyleLoss([moments(style)], [1.0], weight=1.0)
    exact = w2_distance(moments(output), moments(style))
    assert loss(output).item() == pytest.approx(exact * loss.weight * 9 / 16, rel=0.02)
    enough = features(3, channels=16, side=4)  # 16 positions: counted fully
    assert loss(enough).item() == pytest.approx(w2_distance(moments(enough), moments(style)) * loss.weight, rel=0.02)


def test_blend_averages_means_and_second_moments():
    a, b = features(1), features(2, shift=1.0)
    blended = W2StyleLoss([moments(a), moments(b)], [0.5, 0.5], weight=1.0)
    both = torch.cat([a, b], dim=3)  # the mixture: half the positions from each
    assert torch.allclose(blended.mean, moments(both)[0], atol=1e-5)
    assert blended(both).item() == pytest.approx(0.0, abs=1e-2 * blended(a).item())


def test_relative_gram_loss_is_the_squared_gram_distance_over_the_paintings_norm():
    style, output = features(1, channels=16, side=8), features(2, channels=16, side=8, shift=0.5)
    loss = RelativeGramLoss([moments(style)], [1.0], weight=1.0)
    gram_style, gram_output = moments(style)[1], moments(output)[1]
    relative = (gram_output - gram_style).square().sum() / gram_style.square().sum()
    assert loss(style).item() == pytest.approx(0.0, abs=1e-6)
    assert loss(output).item() == pytest.approx(
        loss.weight * relative.item() * gram_style.square().sum().item(), rel=1e-4
    )
    assert loss(output).item() > 0.1 * loss.weight * gram_style.square().sum().item()
    # A blend's target is the mixture's Gram matrix, so the mixture itself is at zero.
    other = features(3, channels=16, side=8, shift=1.0)
    blended = RelativeGramLoss([moments(style), moments(other)], [0.5, 0.5], weight=1.0)
    assert blended(torch.cat([style, other], dim=3)).item() == pytest.approx(0.0, abs=1e-6)


def test_relative_gram_loss_counts_a_sparse_layer_by_its_share():
    style = features(1, channels=16, side=8)
    loss = RelativeGramLoss([moments(style)], [1.0], weight=1.0)
    sparse = features(2, channels=16, side=3)  # 9 positions < 16 channels
    full = (moments(sparse)[1] - moments(style)[1]).square().sum().item() * loss.weight
    assert loss(sparse).item() == pytest.approx(full * 9 / 16, rel=1e-4)


def test_average_is_bias_corrected():
    average = Average(torch.zeros(1), decay=0.8)
    assert torch.equal(average.get(torch.full((1,), 7.0)), torch.full((1,), 7.0))  # nothing averaged yet
    average.update(torch.full((1,), 2.0))
    assert average.get(torch.zeros(1)).item() == pytest.approx(2.0)
    average.update(torch.full((1,), 4.0))
    assert average.get(torch.zeros(1)).item() == pytest.approx((0.8 * 0.2 * 2 + 0.2 * 4) / (0.8 * 0.2 + 0.2))


def test_moments_gradient_is_autograds():
    """The hand-written backward of moments() gives what autograd gives for the same formulas."""
    generator = torch.Generator().manual_seed(5)
    flat = torch.randn(6, 40, generator=generator, dtype=torch.float64)
    weights = torch.randn(6, 6, generator=generator, dtype=torch.float64), torch.randn(6, generator=generator)
    for use_mean, use_second in ((True, True), (False, True), (True, False)):
        ours = flat.clone().requires_grad_(True)
        mean, second = moments(ours.view(1, 6, 5, 8))
        ((weights[0] * second).sum() * use_second + (weights[1] * mean).sum() * use_mean).backward()
        reference = flat.clone().requires_grad_(True)
        loss = (weights[0] * (reference @ reference.t()) / 40).sum() * use_second
        (loss + (weights[1] * reference.mean(dim=1)).sum() * use_mean).backward()
        assert torch.allclose(ours.grad, reference.grad, rtol=1e-4, atol=1e-6)  # moments() works in float32
