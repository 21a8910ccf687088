"""What running each job in a forked work horse costs (stylizer/worker.py), per job.

    python bench/job_overhead.py [--device cpu|cuda] [--runs 3] [--case 64x3 --case 256x10]

Not a test. For each case (output long side x optimizer steps) it times the same
stylization two ways, on synthetic images, with the engine alone (no Django, no Redis):
- warm: run after run in one process that has already run it once (what the old
  SimpleWorker did: everything loaded, caches hot);
- forked: as the worker does it. The parent runs PyTorch single-threaded and loads
  VGG-19 on the CPU without touching CUDA; each run forks a child that sets the thread
  count back and stylizes (on CUDA it creates its context and copies the weights), timed
  from just before the fork to the child's end.
The difference of the medians is the price per job of the forking worker. Prints a
markdown table (for README.md, "Workers").
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
    parser.add_argument("--runs", type=int, default=3, help="timed runs per way and case (default 3)")
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
    horse_threads = torch.get_num_threads()
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

    rows = []
    for size, steps in cases:
        forked = [_in_a_horse(partial(job, size, steps), horse_threads) for _ in range(args.runs)]
        warm = _in_a_horse(partial(_warm, job, size, steps, args.runs), horse_threads, many=args.runs)
        rows.append((size, steps, statistics.median(warm), statistics.median(forked)))
        print(f"{size} px x {steps} steps: warm {warm}, forked {forked}", flush=True)

    device = torch.cuda.get_device_name(0) if args.device == "cuda" else platform.processor() or "CPU"
    print(f"\n{args.device} ({device}, {horse_threads} threads), median of {args.runs} runs, torch {torch.__version__}")
    print("| job | warm process s | forked horse s | per-job cost of forking |")
    print("|---|---|---|---|")
    for size, steps, warm, forked in rows:
        cost = f"{forked - warm:+.2f} s ({forked / warm - 1:+.0%})"
        print(f"| {size} px, {steps} steps | {warm:.2f} | {forked:.2f} | {cost} |")


def _warm(job, size: int, steps: int, runs: int) -> list[float]:
    job(size, steps)  # once to warm up
    return [job(size, steps) for _ in range(runs)]


def _in_a_horse(work, threads: int, *, many: int = 0):
    """Run `work` in a forked child, as RQ's Worker does; return what it returns (seconds).

    Timed from just before the fork, so the fork and the child's set-up count."""
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        import torch

        torch.set_num_threads(threads)
        result = work()
        values = result if many else [time.perf_counter() - started]
        os.write(write_end, struct.pack(f"{len(values)}d", *values))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        sys.exit(f"the child failed (wait status {status})")
    values = list(struct.unpack(f"{len(data) // 8}d", data))
    return values if many else values[0]


def _pictures():
    from PIL import Image

    content = Image.radial_gradient("L").resize((400, 300)).convert("RGB")
    style = Image.effect_noise((256, 256), 64).convert("RGB")
    return content, style


if __name__ == "__main__":
    main()
