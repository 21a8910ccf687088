"""How honest the ETA is (gallery/eta.py): predicted against actual time left, on a real job.

    python bench/eta.py [--content ../shared/images/content/forest.jpg]
                        [--style ../shared/images/styles/the_scream.jpg] [--size 512] [--warm-preset draft]

As a worker would: a shorter job of the same size first (--warm-preset) gives the worker
its curve of step times, then the measured job runs with two stopwatches fed the same step
times, one starting from that curve ("warm": a worker that has run a job of this size
before) and one from nothing ("cold": a fresh worker's first job). Prints, at fractions of the job's real wall
time, the time left each predicts, the real time left and the share of steps done (what
a percentage bar would say).
"""

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nstsite.settings")

import django  # noqa: E402

django.setup()

from gallery import eta  # noqa: E402
from stylizer.engine import StyleParams, open_image, stylize  # noqa: E402

SHARED = ROOT.parent / "shared" / "images"


def run(content, style, params: StyleParams, clocks: list[eta.StageClock]) -> list[tuple[float, int, list]]:
    """Run the engine; return (elapsed, steps done, [each clock's remaining]) after every step."""
    trace = []
    started = time.monotonic()
    for clock in clocks:
        clock.last = started

    def progress(p) -> None:
        now = time.monotonic()
        for clock in clocks:
            clock.step(p.stage, now)
        trace.append((now - started, p.step, [clock.remaining() for clock in clocks]))

    stylize(content, [style], params, progress=progress)
    return trace


def _show(value: float | None, left: float) -> str:
    return "–" if value is None else f"{value:.0f} s ({(value - left) / left:+.0%})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--content", default=str(SHARED / "content" / "forest.jpg"))
    parser.add_argument("--style", default=str(SHARED / "styles" / "the_scream.jpg"))
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--warm-preset", default="draft")
    parser.add_argument("--preset", default="standard")
    args = parser.parse_args()
    with open(args.content, "rb") as f:
        content = open_image(f, name=Path(args.content).name)
    with open(args.style, "rb") as f:
        style = open_image(f, name=Path(args.style).name)

    warm_params = StyleParams(size=args.size, preset=args.warm_preset, seed=1, device="cpu")
    warm_clock = eta.StageClock(eta.plan(warm_params, content.size))
    run(content, style, warm_params, [warm_clock])
    prior = warm_clock.speed()

    params = StyleParams(size=args.size, preset=args.preset, seed=1, device="cpu")
    stages = eta.plan(params, content.size)
    trace = run(content, style, params, [eta.StageClock(stages, prior=prior), eta.StageClock(stages)])
    total_time, total_steps = trace[-1][0], trace[-1][1]
    print(f"{args.size} px {args.preset}, stages (pixels, steps) {stages}: {total_time:.0f} s, {total_steps} steps")
    print(f"worker's curve from the {args.size} px {args.warm_preset} job: {prior}")
    print("| time done | steps done | real left | warm ETA | cold ETA |")
    print("| --- | --- | --- | --- | --- |")
    rows = []
    for fraction in (0.05, 0.1, 0.25, 0.5, 0.75, 0.9):
        elapsed, step, (warm, cold) = next(row for row in trace if row[0] >= fraction * total_time)
        left = total_time - elapsed
        rows.append({"fraction": fraction, "steps": step, "left": left, "warm": warm, "cold": cold})
        print(
            f"| {fraction:.0%} | {step / total_steps:.0%} | {left:.0f} s | {_show(warm, left)} | {_show(cold, left)} |"
        )
    mean_error = {
        name: sum(abs(row[name] - row["left"]) / row["left"] for row in rows if row[name] is not None) / len(rows)
        for name in ("warm", "cold")
    }
    print("mean |error|:", {name: f"{value:.0%}" for name, value in mean_error.items() if not math.isnan(value)})
    print(json.dumps({"total_seconds": total_time, "rows": rows}))


if __name__ == "__main__":
    main()
