"""What the worker's process model costs per job (stylizer/worker.py), on synthetic images.

    python bench/job_overhead.py [--device cpu|cuda] [--runs 5] [--case 64x3 --case 256x10]

Not a test. The worker process runs PyTorch single-threaded, loads VGG-19 on the CPU
and never initialises CUDA; it forks an *engine process* that warms up and then runs
job after job. For each case (output long side x optimizer steps) this times, with the
engine alone (no Django, no Redis), the same stylization:
- warm: in an engine process that has run jobs before (the steady state);
- after warm-up: the first job of a freshly forked engine that has warmed up (what the
  first job after a crash, a kill or a recycle pays when the worker was idle meanwhile);
- cold: the first job of a freshly forked engine, timed from the fork (what every job
  would pay if each ran in a fresh fork, as RQ's default worker does);
and how long a fresh engine's warm-up takes (the worker waits for jobs meanwhile).
Prints a markdown table (README.md, "Workers").
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import struct
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per way and case (default 5)")
    parser.add_argument("--case", action="append", help="SIZExSTEPS, e.g. 256x10 (repeatable)")
    args = parser.parse_args()
    cases = [tuple(int(part) for part in case.split("x")) for case in args.case or ["64x3", "256x10"]]
    sys.path.insert(0, str(ROOT))
    if args.device == "cuda":
        # As stylizer.worker does: ask NVML, so the parent never initialises CUDA before forking.
        os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")

    import torch

    from stylizer.engine import StyleParams, stylize, warm_up

    content, style = _pictures()
    engine_threads = torch.get_num_threads()
    # The worker process: one thread (libgomp and fork do not mix), VGG-19 on the CPU.
    torch.set_num_threads(1)
    warm_up("cpu")
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("no CUDA GPU here")

    def job(size: int, steps: int) -> float:
        started = time.perf_counter()
        stylize(content, [style], StyleParams(size=size, steps=steps, device=args.device, seed=0))
        if args.device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - started

    def warmed_up() -> float:
        started = time.perf_counter()
        warm_up(args.device, exercise=True)  # as the worker's engine process does
        if args.device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - started

    engine = partial(_in_an_engine, threads=engine_threads)
    rows = []
    for size, steps in cases:
        warm = engine(partial(_runs, job, size, steps, args.runs, warm_first=True))
        after = [engine(partial(_after_warm_up, warmed_up, job, size, steps)) for _ in range(args.runs)]
        cold = [engine(partial(job, size, steps), from_fork=True)[0] for _ in range(args.runs)]
        rows.append((size, steps, warm, [value[1] for value in after], cold, [value[0] for value in after]))
        print(f"{size} px x {steps} steps: warm {warm}, after warm-up {after}, cold {cold}", flush=True)

    device = torch.cuda.get_device_name(0) if args.device == "cuda" else platform.processor() or "CPU"
    print(f"\n{args.device} ({device}, {engine_threads} threads), torch {torch.__version__}", end="")
    print(f", median (min-max) of {args.runs} runs")
    print()
    print("| job | warm engine s | first job after a warm-up s | cold fork s | a fresh engine's warm-up s |")
    print("|---|---|---|---|---|")
    for size, steps, warm, after, cold, warm_ups in rows:
        cells = " | ".join(_spread(values) for values in (warm, after, cold, warm_ups))
        print(f"| {size} px, {steps} steps | {cells} |")


def _runs(job, size: int, steps: int, runs: int, *, warm_first: bool) -> list[float]:
    if warm_first:
        job(size, steps)
    return [job(size, steps) for _ in range(runs)]


def _after_warm_up(warmed_up, job, size: int, steps: int) -> list[float]:
    return [warmed_up(), job(size, steps)]


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def _in_an_engine(work, *, threads: int, from_fork: bool = False) -> list[float]:
    """Run `work` in a freshly forked child set up as the engine process; return its timings.

    With `from_fork`, the one timing is from just before the fork to the work's end."""
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        import torch

        torch.set_num_threads(threads)
        result = work()
        values = [time.perf_counter() - started] if from_fork else result
        os.write(write_end, struct.pack(f"{len(values)}d", *values))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        sys.exit(f"the engine process failed (wait status {status})")
    return list(struct.unpack(f"{len(data) // 8}d", data))


def _pictures():
    from PIL import Image

    content = Image.radial_gradient("L").resize((400, 300)).convert("RGB")
    style = Image.effect_noise((256, 256), 64).convert("RGB")
    return content, style


if __name__ == "__main__":
    main()
