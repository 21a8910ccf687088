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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine_run import floor_seconds  # noqa: E402
from quality import OUT, REFERENCE, VARIANTS, Judge  # noqa: E402

from stylizer.engine import StyleParams, open_image, stylize  # noqa: E402
from stylizer.engine.pixels import fit_long_side  # noqa: E402

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
    args = parser.parse_args()
    folder = ROOT.parent / "shared" / "images" / "reference"
    content_path, style_path = folder / "golden_gate.jpg", folder / f"{args.style}.jpg"
    content, style = open_image(content_path), open_image(style_path)
    size = fit_long_side(content.size, args.size)
    judge = Judge()
    OUT.mkdir(parents=True, exist_ok=True)
    report = {"size": list(size), "style": args.style}
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


if __name__ == "__main__":
    main()
