"""Where and in which precision the network runs."""

from __future__ import annotations

import os

import torch

from stylizer.engine.params import ParamsError
from stylizer.engine.vgg import CAFFE_WEIGHTS

# Path of a torchvision VGG-19 state dict to use instead of the Caffe weights.
WEIGHTS_ENV = "STYLIZER_VGG_WEIGHTS"

_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def default_weights() -> str:
    return os.environ.get(WEIGHTS_ENV) or CAFFE_WEIGHTS


def _auto_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _auto_precision(device: torch.device) -> torch.dtype:
    """float32 everywhere until bf16 is shown to keep the score on that hardware.

    On our 2-core AVX-512 Xeon (no AVX512-BF16, no AMX) oneDNN emulates bf16 and a VGG-19
    forward+backward at 512 px took 6.7 s against 3.0 s in float32 (README, Engine). On
    GPUs and bf16-capable CPUs the speed-up is real but its effect on the score has not
    been measured yet, so bf16 is there on request (`precision="bf16"`), not by default.
    Gram matrices and losses are float32 in every case.
    """
    return torch.float32


def resolve(device: str, precision: str) -> tuple[torch.device, torch.dtype]:
    """The torch device and the dtype of the network's convolutions."""
    if device == "auto":
        target = _auto_device()
    elif device == "cuda" and not torch.cuda.is_available():
        raise ParamsError("device 'cuda' was asked for, but no CUDA GPU is available (use auto or cpu)")
    elif device == "mps" and not torch.backends.mps.is_available():
        raise ParamsError("device 'mps' was asked for, but Apple MPS is not available (use auto or cpu)")
    else:
        target = torch.device(device)
    dtype = _auto_precision(target) if precision == "auto" else _DTYPES[precision]
    if target.type == "mps" and dtype == torch.bfloat16:
        dtype = torch.float32
    return target, dtype


def precision_name(dtype: torch.dtype) -> str:
    return next(name for name, value in _DTYPES.items() if value == dtype)
