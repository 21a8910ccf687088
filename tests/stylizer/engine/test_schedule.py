from stylizer.engine.schedule import PRESET_STEPS, Stage, plan


def test_512_px_runs_coarse_to_fine_over_three_sizes():
    stages = plan(512, "standard")
    assert [s.long_side for s in stages] == [128, 256, 512]
    assert sum(s.steps for s in stages) == PRESET_STEPS["standard"]


def test_steps_override_the_preset_total():
    assert sum(s.steps for s in plan(1024, "high", steps=77)) == 77


def test_small_outputs_and_single_scale_use_one_stage():
    assert plan(96, "draft", steps=5) == [Stage(96, 5)]
    assert plan(512, "draft", steps=9, multiscale=False) == [Stage(512, 9)]


def test_presets_cost_more_as_quality_rises():
    assert PRESET_STEPS["draft"] < PRESET_STEPS["standard"] < PRESET_STEPS["high"]
