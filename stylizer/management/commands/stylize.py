"""python manage.py stylize CONTENT STYLE [STYLE ...] -o OUT.png

The command-line face of the engine: every option maps onto a StyleParams field and
takes its default from there. The options the site offers too (size, preset, steps, style
weight, preserve colours, seed) are built from the one spec, `stylizer.engine.params.OPTIONS`,
with the same ranges as the create page and the API; the others are the engine's own.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import fields
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from stylizer.engine import EngineError, StyleParams, open_image, stylize
from stylizer.engine.params import DEVICES, OPTIMIZERS, OPTIONS, PRECISIONS, STYLE_LOSSES, Option

DEFAULTS = {f.name: f.default for f in fields(StyleParams)}


class Command(BaseCommand):
    help = "Paint a photo in the style of one or more images (Gatys et al. optimization)."

    def add_arguments(self, parser):
        parser.add_argument("content", help="the photo to paint")
        parser.add_argument("styles", nargs="+", metavar="style", help="one or more style images")
        parser.add_argument("-o", "--output", required=True, help="where to write the PNG")
        for option in OPTIONS.values():
            _add_option(parser, option)
        parser.add_argument(
            "--style-weights", type=float, nargs="+", metavar="W", help="blend weight of each style image"
        )
        parser.add_argument("--content-weight", type=float, default=DEFAULTS["content_weight"])
        parser.add_argument("--tv-weight", type=float, default=DEFAULTS["tv_weight"])
        parser.add_argument(
            "--style-scale", type=float, default=DEFAULTS["style_scale"], help="style image size relative to output"
        )
        parser.add_argument(
            "--init",
            default=DEFAULTS["init"],
            help="palette (the photo in the painting's colours), content, noise, or the path of an image",
        )
        parser.add_argument(
            "--style-loss",
            choices=STYLE_LOSSES,
            default=DEFAULTS["style_loss"],
            help="hybrid (default: W2 at relu1_1-relu3_1, Gram at relu4_1 and relu5_1), "
            "w2 (W2 at every layer) or gram (the engine before both)",
        )
        parser.add_argument("--optimizer", choices=OPTIMIZERS, default=DEFAULTS["optimizer"])
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
            total = sum(stage.steps for stage in params.stages())
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


def _add_option(parser: argparse.ArgumentParser, option: Option) -> None:
    """`--<field>` for one option of the spec: its type, range or choices, help and default."""
    flag = "--" + option.field.replace("_", "-")
    default = DEFAULTS[option.field]
    if option.type is bool:
        parser.add_argument(flag, action="store_true", help=option.help)
    elif option.choices:
        parser.add_argument(flag, choices=option.choices, default=default, help=option.help)
    else:
        parser.add_argument(flag, type=_ranged(option), default=default, help=f"{option.help} {_range(option)}")


def _range(option: Option) -> str:
    return f"({option.minimum} to {option.maximum})"


def _ranged(option: Option):
    def parse(text: str):
        try:
            value = option.type(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {option.type.__name__}") from None
        if not option.minimum <= value <= option.maximum:
            raise argparse.ArgumentTypeError(f"{text} is out of range {_range(option)}")
        return value

    parse.__name__ = option.type.__name__
    return parse
