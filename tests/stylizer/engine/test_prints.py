"""Prints in the engine: the ladder continued from a finished result (schedule.print_plan),
started from that result (no restart), and VGG-19 under gradient checkpointing."""

import pytest
import torch
from PIL import Image, ImageChops, ImageStat

from stylizer.engine import ParamsError, StyleParams, optimize, stylize
from stylizer.engine.params import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS
from stylizer.engine.schedule import PRINT_STEPS, print_plan
from stylizer.engine.vgg import extractor


def test_a_2048_print_of_a_512_result_climbs_the_sqrt2_rungs_above_it_with_fewer_steps_each():
    plan = print_plan(512, 2048)
    assert [stage.long_side for stage in plan] == [724, 1024, 1448, 2048]
    assert [stage.steps for stage in plan] == list(PRINT_STEPS[:4])
    assert all(a.steps >= b.steps for a, b in zip(plan, plan[1:]))
    assert [stage.long_side for stage in print_plan(512, 4096)][-2:] == [2896, 4096]
    # A larger result continues from where it is: fewer rungs, the same counts at the same sizes.
    assert print_plan(1024, 2048) == plan[2:]
    # A worker's step cap (STYLIZER_MAX_STEPS) shrinks every rung, each keeping one.
    capped = print_plan(512, 2048, steps=10)
    assert [stage.long_side for stage in capped] == [724, 1024, 1448, 2048]
    assert sum(stage.steps for stage in capped) <= 10 and min(stage.steps for stage in capped) >= 1


def test_the_print_params_plan_the_print_and_store_as_before_for_an_ordinary_run():
    params = StyleParams(size=2048, continue_from=512)
    assert params.stages() == print_plan(512, 2048)
    assert StyleParams.from_json(params.to_json()) == params
    assert "continue_from" not in StyleParams().to_json()


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def test_a_print_starts_from_the_finished_result_not_from_the_palette(photo, painting):
    params = StyleParams(size=32, steps=12, seed=5)
    finished = stylize(photo, [painting], params).image
    printed = stylize(photo, [painting], params.replace(size=64, continue_from=32), start=finished)
    assert printed.image.size == (64, 64)
    assert [stage.long_side for stage in printed.stages] == [45, 64]
    assert printed.steps == sum(stage.steps for stage in printed.stages)
    upscaled = finished.resize(printed.image.size, Image.Resampling.LANCZOS)
    restarted = stylize(photo, [painting], params.replace(size=64, steps=printed.steps)).image
    assert _mean_difference(printed.image, upscaled) < _mean_difference(restarted, upscaled)


def test_a_print_without_its_start_or_not_larger_than_it_is_refused(photo, painting):
    with pytest.raises(ParamsError, match="needs the finished result"):
        stylize(photo, [painting], StyleParams(size=64, continue_from=32))
    with pytest.raises(ParamsError, match="smaller than its size"):
        stylize(photo, [painting], StyleParams(size=64, continue_from=64), start=photo)


def test_checkpointed_vgg_gives_the_same_features_and_gradient():
    names = tuple(dict.fromkeys(name for name, _ in DEFAULT_CONTENT_LAYERS + DEFAULT_STYLE_LAYERS))
    net = extractor(names, "caffe", "cpu", torch.float32, "replicate")
    image = torch.rand(1, 3, 40, 56, generator=torch.Generator().manual_seed(0), requires_grad=True)
    outputs = []
    for checkpoint in (False, True):
        image.grad = None
        features = net(image, checkpoint=checkpoint)
        sum(value.square().mean() for value in features.values()).backward()
        outputs.append(({name: value.detach() for name, value in features.items()}, image.grad.clone()))
    (plain, plain_grad), (checked, checked_grad) = outputs
    assert plain.keys() == checked.keys() == set(names)
    assert all(torch.allclose(plain[name], checked[name]) for name in names)
    assert torch.allclose(plain_grad, checked_grad, rtol=1e-4, atol=1e-6)


def test_a_run_checkpoints_above_the_threshold_with_the_same_result(photo, painting, monkeypatch):
    params = StyleParams(size=48, steps=4, seed=2, multiscale=False)
    plain = stylize(photo, [painting], params)
    monkeypatch.setattr(optimize, "CHECKPOINT_MIN_PIXELS", 0)
    checked = stylize(photo, [painting], params)
    assert _mean_difference(plain.image, checked.image) < 0.5
