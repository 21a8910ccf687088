"""python manage.py stylize CONTENT STYLE [STYLE ...] -o OUT.png

The command-line face of the engine: every option maps onto a StyleParams field and
takes its default from there.
"""

from __future__ import annotations

import time
from dataclasses import fields
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from stylizer.engine import EngineError, StyleParams, open_image, stylize
from stylizer.engine.params import DEVICES, OPTIMIZERS, PRECISIONS, PRESETS, STYLE_LOSSES
from stylizer.engine.schedule import ladder_of, plan

DEFAULTS = {f.name: f.default for f in fields(StyleParams)}


class Command(BaseCommand):
    help = "Paint a photo in the style of one or more images (Gatys et al. optimization)."

    def add_arguments(self, parser):
        parser.add_argument("content", help="the photo to paint")
        parser.add_argument("styles", nargs="+", metavar="style", help="one or more style images")
        parser.add_argument("-o", "--output", required=True, help="where to write the PNG")
        parser.add_argument("--size", type=int, default=DEFAULTS["size"], help="long side of the output, px")
        parser.add_argument("--preset", choices=PRESETS, default=DEFAULTS["preset"], help="quality preset")
        parser.add_argument("--steps", type=int, default=None, help="total optimizer steps (overrides the preset)")
        parser.add_argument(
            "--style-weights", type=float, nargs="+", metavar="W", help="blend weight of each style image"
        )
        parser.add_argument("--content-weight", type=float, default=DEFAULTS["content_weight"])
        parser.add_argument("--style-weight", type=float, default=DEFAULTS["style_weight"])
        parser.add_argument("--tv-weight", type=float, default=DEFAULTS["tv_weight"])
        parser.add_argument(
            "--style-scale", type=float, default=DEFAULTS["style_scale"], help="style image size relative to output"
        )
        parser.add_argument("--preserve-colors", action="store_true", help="keep the photo's original colours")
        parser.add_argument(
            "--init",
            default=DEFAULTS["init"],
            help="palette (the photo in the painting's colours), content, noise, or a path",
        )
        parser.add_argument(
            "--style-loss",
            choices=STYLE_LOSSES,
            default=DEFAULTS["style_loss"],
            help="w2 (default) or gram (the previous)",
        )
        parser.add_argument("--optimizer", choices=OPTIMIZERS, default=DEFAULTS["optimizer"])
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULTS["seed"],
            help="noise of the palette start and of --init noise (default: random)",
        )
        parser.add_argument("--device", choices=DEVICES, default=DEFAULTS["device"])
        parser.add_argument("--precision", choices=PRECISIONS, default=DEFAULTS["precision"])
        parser.add_argument("--single-scale", action="store_true", help="optimize at the output size only")

    def handle(self, *args, **options):
        output = Path(options["output"])
        if output.suffix.lower() != ".png":
            raise CommandError(f"{output}: the output must be a .png file")
        if not output.parent.is_dir():
            raise CommandError(f"{output}: the folder {output.parent} does not exist")
        # Options spelled like a StyleParams field map onto it one to one.
        same_name = {name: options[name] for name in DEFAULTS if name in options}
        params = StyleParams(
            **same_name,
            style_blend=tuple(options["style_weights"]) if options["style_weights"] else None,
            multiscale=not options["single_scale"],
        )
        started = time.perf_counter()
        try:
            content = open_image(options["content"])
            styles = [open_image(path) for path in options["styles"]]
            stages = plan(params.size, params.preset, params.steps, params.multiscale, ladder_of(params.style_loss))
            total = sum(stage.steps for stage in stages)
            with tqdm(total=total, unit="step", file=self.stderr._out, dynamic_ncols=True) as bar:

                def progress(p):
                    size = f"{p.size[0]}x{p.size[1]}"
                    bar.set_postfix_str(f"stage {p.stage}/{p.stages} {size} loss {p.losses['total']:.4g}")
                    bar.update(1)

                result = stylize(content, styles, params, progress=progress)
        except (EngineError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        result.image.save(output)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"wrote {output} ({result.image.width}x{result.image.height}) in {elapsed:.1f} s "
            f"[{result.steps} steps on {result.device}, {result.precision}]"
        )
