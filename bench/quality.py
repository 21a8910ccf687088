"""Quality benchmark: our engine against jcjohnson/neural-style, scored by the shared judge.

    python bench/quality.py reference [--size 512] [--variant NAME=JSON ...]
    python bench/quality.py all [--size 256] [--variant NAME=JSON ...]
    python bench/quality.py sheet RESULTS.jsonl OUT.jpg

`reference`: golden_gate x the_scream, starry_night, woman-with-hat-matisse (in
../shared/images/reference/), also judging neural-style's published 512 px outputs.
`all`: every photo in ../shared/images/content x every painting in ../shared/images/styles.
Each variant is StyleParams overrides as JSON; the default variants are "new" (the product
defaults) and "old" (the previous engine: Gram loss, content weight 30, start from the photo).
One line of JSON per output (seconds, judge's style and content) goes to
bench/out/quality-<mode>-<size>.jsonl; outputs land beside it. `sheet` draws a contact sheet
(photo | painting | ours | theirs) of the reference results. Run it with `nice -n 19`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import torch
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stylizer.engine import StyleParams, open_image, stylize  # noqa: E402

IMAGES = ROOT.parent / "shared" / "images"
JUDGE = ROOT.parent / "shared" / "bench" / "nst_judge.py"
OUT = ROOT / "bench" / "out"
REFERENCE = {
    "the_scream": "golden_gate_scream.png",
    "starry_night": "golden_gate_starry.png",
    "woman-with-hat-matisse": "golden_gate_matisse.png",
}
VARIANTS = {
    "new": {},
    "old": {"style_loss": "gram", "content_weight": 30.0, "init": "content"},
}


class Judge:
    """nst_judge.py's two measures, in this process (its VGG loaded once)."""

    def __init__(self):
        spec = importlib.util.spec_from_file_location("nst_judge", JUDGE)
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)
        self.net = self.module.vgg()

    @torch.no_grad()
    def __call__(self, output: Path, content: Path, style: Path) -> tuple[float, float]:
        score, _ = self.detailed(output, content, style)
        return score

    @torch.no_grad()
    def detailed(self, output: Path, content: Path, style: Path) -> tuple[tuple[float, float], dict]:
        """The two measures, and the style measure's share from each layer (they sum to it)."""
        j = self.module
        layers = sorted(set(j.STYLE_LAYERS + j.CONTENT_LAYERS), key=self.net.LAYER_NAMES.index)
        out = j.load(output)
        photo = j.load(content, size=out.size)
        paint = j.load(style, long_side=max(out.size))
        fo, fp, fs = (self.net.forward(j.tensor(im), layers) for im in (out, photo, paint))
        per_layer = {}
        for layer in j.STYLE_LAYERS:
            flat = fo[layer].flatten(2).squeeze(0), fp[layer].flatten(2).squeeze(0), fs[layer].flatten(2).squeeze(0)
            d_out = j.swd(flat[0], flat[2], torch.Generator().manual_seed(7))
            d_photo = j.swd(flat[1], flat[2], torch.Generator().manual_seed(7))
            per_layer[layer] = d_out / d_photo / len(j.STYLE_LAYERS)
        style_score = sum(per_layer.values())
        content_score = sum(
            (j.selfsim(fo[layer]) - j.selfsim(fp[layer])).abs().mean().item() for layer in j.CONTENT_LAYERS
        ) / len(j.CONTENT_LAYERS)
        layers = {layer: round(share, 4) for layer, share in per_layer.items()}
        return (round(style_score, 4), round(content_score, 4)), layers


def pairs(mode: str) -> list[tuple[Path, Path]]:
    if mode == "reference":
        folder = IMAGES / "reference"
        return [(folder / "golden_gate.jpg", folder / f"{name}.jpg") for name in REFERENCE]
    contents = sorted((IMAGES / "content").iterdir())
    styles = sorted((IMAGES / "styles").iterdir())
    # Diagonal order (k -> k mod 3, k mod 8 visits every pair once, as 3 and 8 are coprime): every
    # photo and every painting come up early, so a sweep cut short still covers them all.
    every = sorted((c, s) for c in contents for s in styles)
    diagonal = [(contents[k % len(contents)], styles[k % len(styles)]) for k in range(len(every))]
    return diagonal if sorted(set(diagonal)) == every else every


def run(args) -> None:
    given = {name: tuples(json.loads(text)) for name, _, text in (s.partition("=") for s in args.variant or [])}
    variants = {**VARIANTS, **given} if args.keep_defaults or not given else given
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / f"quality-{args.mode}-{args.size}{args.tag}.jsonl"
    judge = Judge()
    # A sweep cut short goes on where it stopped: outputs already in the log are not made again.
    rows = map(json.loads, log.read_text().splitlines()) if log.exists() else []
    done = {(row["case"], row["variant"]) for row in rows}
    for content, style in pairs(args.mode):
        if args.styles and style.stem not in args.styles:
            continue
        if args.mode == "reference" and args.judge_theirs:
            theirs = content.parent / REFERENCE[style.stem]
            score, layers = judge.detailed(theirs, content, style)
            record(
                log,
                {"case": f"{content.stem}+{style.stem}", "variant": "neural-style", "score": score, "layers": layers},
            )
        for name, overrides in variants.items():
            if (f"{content.stem}+{style.stem}", name) in done:
                continue
            params = StyleParams(size=args.size, **{"preset": args.preset, "seed": args.seed, **overrides})
            started = time.perf_counter()
            result = stylize(open_image(content), [open_image(style)], params)
            seconds = time.perf_counter() - started
            path = OUT / f"{content.stem}+{style.stem}+{name}+{args.size}{args.tag}.png"
            result.image.save(path)
            score, layers = judge.detailed(path, content, style)
            row = {
                "case": f"{content.stem}+{style.stem}",
                "variant": name,
                "score": score,
                "layers": layers,
                "seconds": round(seconds, 1),
            }
            record(log, {**row, "params": overrides, "output": str(path.relative_to(ROOT))})


def tuples(value):
    """JSON's lists as the tuples StyleParams holds (layer lists, blends)."""
    if isinstance(value, dict):
        return {key: tuples(item) for key, item in value.items()}
    return tuple(tuples(item) for item in value) if isinstance(value, list) else value


def record(log: Path, row: dict) -> None:
    print(json.dumps(row), flush=True)
    with log.open("a") as handle:
        handle.write(json.dumps(row) + "\n")


def sheet(results: Path, out: Path, variant: str = "new", cell: int = 256) -> None:
    """photo | painting | ours | neural-style, one row per reference pair."""
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    ours = {r["case"]: r for r in rows if r["variant"] == variant}
    theirs = {r["case"]: r for r in rows if r["variant"] == "neural-style"}
    folder = IMAGES / "reference"
    image = Image.new("RGB", (4 * cell, len(REFERENCE) * (cell + 20)), "white")
    draw = ImageDraw.Draw(image)
    for i, (style, published) in enumerate(REFERENCE.items()):
        case = f"golden_gate+{style}"
        tiles = [folder / "golden_gate.jpg", folder / f"{style}.jpg", ROOT / ours[case]["output"], folder / published]
        labels = ["photo", style, f"ours {ours[case]['score']}", f"neural-style {theirs[case]['score']}"]
        for j, (tile, label) in enumerate(zip(tiles, labels)):
            picture = Image.open(tile).convert("RGB")
            picture.thumbnail((cell, cell))
            image.paste(picture, (j * cell, i * (cell + 20) + 20))
            draw.text((j * cell + 4, i * (cell + 20) + 4), label, fill="black")
    image.save(out, quality=85)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["reference", "all", "sheet"])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--preset", default="standard")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tag", default="")
    parser.add_argument("--variant", action="append")
    parser.add_argument("--keep-defaults", action="store_true")
    parser.add_argument("--judge-theirs", action="store_true")
    parser.add_argument("--styles", nargs="*", help="only these paintings (file stems)")
    args = parser.parse_args()
    if args.mode == "sheet":
        sheet(Path(args.files[0]), Path(args.files[1]))
    else:
        run(args)


if __name__ == "__main__":
    main()
