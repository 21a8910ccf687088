"""What prints this worker can make, decided once when it starts (README, Prints).

A worker that can make a print of a given long side listens on that side's print queue
(`gallery.services.queue.print_queue_name`), after its ordinary queue; the site offers a
print size only while some live worker listens on its queue, and enqueues each print on
its size's queue, so no worker ever takes a print it cannot make.

STYLIZER_PRINT_MAX_SIDE sets the largest side; 0 (the default) decides from the device:
a CPU 2048 px (a 2048 px print peaks at 5.7 GiB, README), a CUDA GPU by its memory, read
with nvidia-smi, so that the worker never initialises CUDA (it forks).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess

import torch
from django.conf import settings

log = logging.getLogger(__name__)

CPU_MAX_SIDE = 2048
# GPU memory (GiB) a print's long side needs with checkpointing, with headroom; smaller
# GPUs make no prints. Estimated from the CPU measurements (peak memory grows with the
# pixels); not measured on a GPU.
GPU_SIDES_BY_MEMORY = ((24, 4096), (8, 2048))


def print_max_side(device: str | None = None) -> int:
    """The largest print side this worker makes (0: none)."""
    configured = settings.STYLIZER_PRINT_MAX_SIDE
    if configured:
        return max(0, configured)
    device = device or settings.STYLIZER_DEVICE
    if device in ("cuda", "auto") and _cuda_available():
        memory = gpu_memory_gib()
        if memory is None:
            return CPU_MAX_SIDE  # nothing to go by: what a CPU makes
        return next((side for needed, side in GPU_SIDES_BY_MEMORY if memory >= needed), 0)
    return CPU_MAX_SIDE


def print_sides(device: str | None = None) -> list[int]:
    """The offered print sides (STYLIZER_PRINT_SIDES) this worker makes."""
    largest = print_max_side(device)
    return [side for side in settings.STYLIZER_PRINT_SIDES if side <= largest]


def _cuda_available() -> bool:
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")  # no CUDA context (see stylizer.process)
    return torch.cuda.is_available()


def gpu_memory_gib() -> float | None:
    """The first GPU's memory in GiB, from nvidia-smi; None if it cannot say."""
    command = shutil.which("nvidia-smi")
    if command is None:
        return None
    try:
        answer = subprocess.run(
            [command, "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return float(answer.stdout.split()[0]) / 1024  # MiB
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
        log.warning("could not read the GPU's memory: %s", exc)
        return None
