"""Cost benchmark: wall time of each preset against a bare VGG-19 pass, in one process.

    flock /tmp/cpu.lock python bench/cost.py [--size 512] [--style the_scream]

On golden_gate x STYLE (../shared/images/reference/), one after the other: a bare VGG-19
forward+backward to relu5_1 at the output size (the per-step floor), the Gram engine's
`standard` (content weight 30, from the photo), `standard` with W2 at every layer (the
default before "hybrid") and the default's draft, standard and high. For each: wall
seconds, the ratio to the floor, the median step at the output size against the floor,
and the judge's two measures (beside neural-style's published output).
Writes bench/out/cost-<size>.json. Timing: run it under the CPU lock on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine_run import floor_seconds  # noqa: E402
from quality import OUT, REFERENCE, VARIANTS, Judge  # noqa: E402

from stylizer.engine import StyleParams, devices, open_image, stylize  # noqa: E402
from stylizer.engine.image_io import to_tensor  # noqa: E402
from stylizer.engine.lbfgs import LBFGS  # noqa: E402
from stylizer.engine.optimize import _network, _Objective  # noqa: E402
from stylizer.engine.pixels import fit_long_side  # noqa: E402

OBJECTIVES = ("gram", "w2", "hybrid")

RUNS = [
    ("old standard", {**VARIANTS["old"], "preset": "standard"}),
    ("w2 standard", {"style_loss": "w2", "preset": "standard"}),
    ("new draft", {"preset": "draft"}),
    ("new standard", {"preset": "standard"}),
    ("new high", {"preset": "high"}),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--style", default="the_scream", choices=list(REFERENCE))
    parser.add_argument("--only", nargs="*", help="run names to run (default: all)")
    parser.add_argument("--overhead-only", action="store_true", help="only the per-step overhead, no runs")
    args = parser.parse_args()
    folder = ROOT.parent / "shared" / "images" / "reference"
    content_path, style_path = folder / "golden_gate.jpg", folder / f"{args.style}.jpg"
    content, style = open_image(content_path), open_image(style_path)
    size = fit_long_side(content.size, args.size)
    report = {"size": list(size), "style": args.style}
    report["step_overhead"] = step_overhead(content, style, size)
    print("step_overhead", json.dumps(report["step_overhead"]), flush=True)
    if args.overhead_only:
        return
    judge = Judge()
    OUT.mkdir(parents=True, exist_ok=True)
    report["neural-style"] = judge(folder / REFERENCE[args.style], content_path, style_path)
    report["floor_seconds"] = {
        padding: floor_seconds(StyleParams(style_loss=loss), size)
        for padding, loss in (("zeros", "gram"), ("replicate", "w2"))
    }
    for name, overrides in RUNS:
        if args.only and name not in args.only:
            continue
        params = StyleParams(size=args.size, seed=0, **overrides)
        steps: list[tuple[float, tuple[int, int]]] = []
        started = time.perf_counter()
        result = stylize(content, [style], params, progress=lambda p, seen=steps: seen.append((p.elapsed, p.size)))
        seconds = time.perf_counter() - started
        at_size = [b - a for (a, _), (b, s) in zip(steps, steps[1:]) if s == size]
        floor = report["floor_seconds"]["zeros" if overrides.get("style_loss") == "gram" else "replicate"]
        path = OUT / f"cost-{args.style}-{name.replace(' ', '-')}-{args.size}.png"
        result.image.save(path)
        report[name] = {
            "seconds": round(seconds, 1),
            "floor_ratio": round(seconds / floor, 1),
            "step_at_size": round(statistics.median(at_size), 3) if at_size else None,
            "step_vs_floor": round(statistics.median(at_size) / floor, 3) if at_size else None,
            "steps": result.steps,
            "score": judge(path, content_path, style_path),
        }
        print(name, json.dumps(report[name]), flush=True)
    (OUT / f"cost-{args.style}-{args.size}.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


def step_overhead(content, style, size: tuple[int, int], rounds: int = 9) -> dict[str, float]:
    """One evaluation of each objective (forward, losses, backward to the pixels) at `size`,
    over a bare VGG-19 forward+backward with the same padding, timed alternately so that
    the machine's drift (we saw the bare pass vary 1.59-1.73 s within minutes) hits both
    alike: the median of the per-round ratios. L-BFGS's own work on top (two loops over 50
    pairs) is timed apart, in `lbfgs_seconds`."""
    ratios = {}
    device, dtype = devices.resolve("auto", "auto")
    photo = to_tensor(content, size).to(device)
    painting = to_tensor(style, fit_long_side(style.size, max(size))).to(device)
    for objective_name in OBJECTIVES:
        params = StyleParams(style_loss=objective_name)
        net = _network(params, device, dtype)
        objective = _Objective(net, params, photo, [painting], [1.0])
        timed = [_bare_and_objective(net, objective, photo) for _ in range(rounds + 1)][1:]
        ratios[objective_name] = round(statistics.median(b / a for a, b in timed), 3)
    ratios["lbfgs_seconds"] = round(_lbfgs_seconds(photo), 3)
    return ratios


def _bare_and_objective(net, objective, photo: torch.Tensor) -> tuple[float, float]:
    image = photo.clone().requires_grad_(True)
    started = time.perf_counter()
    sum(f.float().mean() for f in net(image).values()).backward()
    middle = time.perf_counter()
    image.grad = None
    objective(image)["total"].backward()
    return middle - started, time.perf_counter() - middle


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _lbfgs_seconds(like: torch.Tensor) -> float:
    """L-BFGS's direction and update with a full memory of 50 pairs, given the gradient."""
    x = torch.zeros_like(like)
    optimizer = LBFGS(x, history=50)
    generator = torch.Generator().manual_seed(0)
    target = torch.rand(like.shape, generator=generator).to(like)
    for _ in range(55):
        optimizer.step(lambda: (float((x - target).square().sum()), 2 * (x - target) + 0.01 * torch.randn_like(x)))
    gradient = 2 * (x - target)
    return statistics.median(_seconds(lambda: optimizer.step(lambda: (0.0, gradient))) for _ in range(9))


if __name__ == "__main__":
    main()
