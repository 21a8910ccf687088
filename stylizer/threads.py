"""How many threads a worker's engine gives PyTorch on a CPU host.

Two torch processes that each start one OpenMP thread per core on the same cores do not
share them, they fight: with `runstack --workers 2` on 2 cores, jobs ran 20-100 times
slower than one worker alone (threads spinning at their barriers while the other
process holds the core). So each engine takes its share of the cores it may use
(its CPU affinity, which taskset and container CPU sets narrow): those cores divided by
STYLIZER_WORKERS_PER_HOST (`runstack --workers N` sets it for its workers), at least one.
STYLIZER_TORCH_THREADS overrides the share, and so does OMP_NUM_THREADS, which PyTorch
itself honours, when STYLIZER_TORCH_THREADS is unset.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def usable_cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no affinity
        return os.cpu_count() or 1


def engine_threads() -> int:
    """PyTorch's thread count for one engine process, from the settings and the host."""
    threads, workers = settings.STYLIZER_TORCH_THREADS, settings.STYLIZER_WORKERS_PER_HOST
    if threads < 0 or workers < 1:
        raise ImproperlyConfigured(
            "STYLIZER_TORCH_THREADS must be 0 (a share of the cores) or more, and STYLIZER_WORKERS_PER_HOST 1 or more."
        )
    return threads or _omp_threads() or max(1, usable_cores() // workers)


def _omp_threads() -> int:
    """OMP_NUM_THREADS as a count (its first level, "4,2" → 4), or 0 if unset or unreadable."""
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(value) if value.isdigit() else 0
