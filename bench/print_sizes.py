"""What a print costs on this machine: time and peak memory of continuing a finished 512 px
result to 1024 and 2048 px (stylizer.engine.schedule.print_plan), with VGG-19 under gradient
checkpointing and without.

    flock /tmp/cpu.lock python bench/print_sizes.py [--device cpu] [--case 2048:on ...] [--out FILE]

Not a test. First paints the 512 px result the prints continue (the `draft` preset, on
../shared/images' forest and The Starry Night when that folder exists, else on the test
suite's drawn scene and painting), stored as the site stores a photo (at most 1024 px).
Then each case (print side : checkpointing on/off) runs in a fresh Python process, as a
worker's engine process runs a job: it loads VGG-19, runs the print and reports its wall
time (the engine's, loading excluded) and its peak resident memory (ru_maxrss of the
process, so weights, images, activations and the optimizer's memory together). "on" is
checkpointing at every rung (from 0 px), "off" at none, "auto" what the engine does
(from CHECKPOINT_MIN_PIXELS). Prints a markdown table (README.md, Prints) and writes the
rows as JSON to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "images"
SOURCE_SIDE = 512
CASES = ("1024:off", "1024:on", "2048:auto", "2048:off")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--case", action="append", help="SIDE:on|off|auto (repeatable); default " + " ".join(CASES))
    parser.add_argument("--out", type=Path, help="write the rows as JSON here")
    parser.add_argument("--source", type=int, default=SOURCE_SIDE, help="the result's long side (default 512)")
    parser.add_argument("--run-case", help=argparse.SUPPRESS)  # the child process's side
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.run_case:
        print(json.dumps(_run_case(args.run_case, args.folder, args.device, args.source)))
        return
    with tempfile.TemporaryDirectory() as folder:
        source = _paint_source(Path(folder), args.device, args.source)
        print(f"source: {args.source} px in {source['seconds']:.0f} s ({source['what']})", file=sys.stderr)
        rows = []
        for case in args.case or CASES:
            command = [sys.executable, __file__, "--run-case", case, "--folder", folder, "--device", args.device]
            command += ["--source", str(args.source)]
            answer = subprocess.run(command, capture_output=True, text=True, check=True)
            rows.append(json.loads(answer.stdout.strip().splitlines()[-1]))
            print(f"{case}: {rows[-1]}", file=sys.stderr)
    _table(rows, args.device, source)
    if args.out:
        args.out.write_text(json.dumps({"source": source, "rows": rows}, indent=2))


def _pictures():
    from PIL import Image

    if (SHARED / "content" / "forest.jpg").is_file():
        photo = Image.open(SHARED / "content" / "forest.jpg").convert("RGB")
        painting = Image.open(SHARED / "styles" / "starry_night.jpg").convert("RGB")
        what = "forest x starry_night"
    else:
        from tests import images

        photo, painting, what = images.scene((1024, 768)), images.painting(size=(768, 600)), "drawn scene x painting"
    photo.thumbnail((1024, 1024), Image.Resampling.LANCZOS)  # as the site stores a photo
    return photo, painting, what


def _paint_source(folder: Path, device: str, side: int) -> dict:
    import torch

    from stylizer.engine import StyleParams, stylize

    torch.manual_seed(0)
    photo, painting, what = _pictures()
    photo.save(folder / "photo.png")
    painting.save(folder / "painting.png")
    started = time.perf_counter()
    result = stylize(photo, [painting], StyleParams(size=side, preset="draft", seed=1, device=device))
    result.image.save(folder / "source.png")
    return {"seconds": time.perf_counter() - started, "what": what, "size": list(result.image.size)}


def _run_case(case: str, folder: Path, device: str, source_side: int) -> dict:
    import torch
    from PIL import Image

    from stylizer.engine import StyleParams, optimize, stylize, warm_up

    side, mode = case.split(":")
    if mode != "auto":
        optimize.CHECKPOINT_MIN_PIXELS = 0 if mode == "on" else 10**12
    warm_up(device)
    loaded_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    photo, painting, source = (
        Image.open(folder / name).convert("RGB") for name in ("photo.png", "painting.png", "source.png")
    )
    params = StyleParams(size=int(side), continue_from=source_side, seed=1, device=device)
    started = time.perf_counter()
    result = stylize(photo, [painting], params, start=source)
    seconds = time.perf_counter() - started
    row = {
        "side": int(side),
        "checkpoint": mode,
        "size": list(result.image.size),
        "rungs": [[stage.long_side, stage.steps] for stage in result.stages],
        "steps": result.steps,
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rss_after_load_mib": round(loaded_rss / 1024),
        "device": result.device,
        "threads": torch.get_num_threads(),
    }
    if device == "cuda":
        row["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20)
    return row


def _table(rows: list[dict], device: str, source: dict) -> None:
    import torch

    cpu = platform.processor() or platform.machine()
    threads = rows[0]["threads"] if rows else torch.get_num_threads()
    print(f"\n{device}: {cpu}, {os.cpu_count()} cores, torch {torch.__version__}, {threads} torch threads")
    print("| Print | Rungs (px x steps) | Checkpointing | Time | Peak memory (RSS) |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        rungs = ", ".join(f"{side}x{steps}" for side, steps in row["rungs"])
        size = "x".join(map(str, row["size"]))
        print(
            f"| {row['side']} px ({size}) | {rungs} | {row['checkpoint']} | {row['seconds'] / 60:.1f} min "
            f"({row['seconds']:.0f} s) | {row['peak_rss_mib'] / 1024:.1f} GiB |"
        )


if __name__ == "__main__":
    main()
