import pytest

from stylizer.engine.schedule import LADDER_STEPS, PRESET_STEPS, Stage, ladder_sides, plan


@pytest.mark.parametrize(
    ("preset", "steps"),
    [("draft", [30, 20, 15, 10, 8]), ("standard", [60, 40, 30, 20, 15]), ("high", [100, 70, 50, 35, 30])],
)
def test_512_px_climbs_a_sqrt2_ladder_from_128_px_with_most_steps_at_the_coarse_sizes(preset, steps):
    stages = plan(512, preset)
    assert [s.long_side for s in stages] == [128, 181, 256, 362, 512]
    assert [s.steps for s in stages] == steps


def test_smaller_outputs_stop_early_and_larger_ones_add_rungs():
    assert [(s.long_side, s.steps) for s in plan(256, "standard")] == [(128, 60), (181, 40), (256, 30)]
    assert ladder_sides(1024) == [128, 181, 256, 362, 512, 724, 1024]
    assert [s.steps for s in plan(1024, "standard")][-3:] == [15, 15, 15]
    assert ladder_sides(300) == [150, 212, 300]  # the output size is always the last rung


def test_the_gram_ladder_is_the_previous_one():
    stages = plan(512, "standard", ladder="halves")
    assert [s.long_side for s in stages] == [128, 256, 512]
    assert sum(s.steps for s in stages) == PRESET_STEPS["standard"]


def test_presets_climb_the_same_ladder_with_more_steps_as_quality_rises():
    totals = [sum(LADDER_STEPS[p]) for p in ("draft", "standard", "high")]
    assert totals == sorted(totals) and len(set(totals)) == 3


def test_steps_override_the_preset_total():
    assert sum(s.steps for s in plan(1024, "high", steps=77)) == 77


def test_small_outputs_and_single_scale_use_one_stage():
    assert plan(96, "draft", steps=5) == [Stage(96, 5)]
    assert plan(512, "draft", steps=9, multiscale=False) == [Stage(512, 9)]


def test_presets_cost_more_as_quality_rises():
    assert PRESET_STEPS["draft"] < PRESET_STEPS["standard"] < PRESET_STEPS["high"]


def test_a_few_steps_still_end_at_the_output_size():
    for steps in (1, 2, 4, 7):
        stages = plan(256, "draft", steps=steps)
        assert stages[-1].long_side == 256 and sum(s.steps for s in stages) == steps
