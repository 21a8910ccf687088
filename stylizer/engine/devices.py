"""Where and in which precision the network runs."""

from __future__ import annotations

import functools
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


@functools.cache
def _cpu_has_bf16() -> bool:
    """True where the CPU computes bf16 natively (AVX512-BF16 or AMX).

    Measured on a 2-core AVX-512 Xeon without those units (see README, Benchmark): oneDNN
    emulates bf16 there and a VGG-19 pass is about 2x slower than in float32, so such a
    CPU stays in float32.
    """
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith("flags")), "").split()
    except OSError:
        return False
    return torch.backends.mkldnn.is_available() and ("avx512_bf16" in flags or "amx_bf16" in flags)


def _auto_precision(device: torch.device) -> torch.dtype:
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    if device.type == "cpu" and _cpu_has_bf16():
        return torch.bfloat16
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
