import pytest
import torch

from stylizer.engine import Cancelled, ParamsError, StyleParams, stylize
from stylizer.engine.image_io import rgb_to_ycbcr, to_tensor

TINY = StyleParams(size=64, steps=8, multiscale=False)


@pytest.mark.parametrize(
    ("objective", "factor"),
    # The palette start is already much nearer the painting than the photo the Gram run starts from.
    [({"seed": 1}, 2.5), ({"style_loss": "gram", "init": "content", "content_weight": 30.0}, 5)],
)
def test_a_few_steps_lower_the_objective_by_a_large_factor(photo, painting, objective, factor):
    result = stylize(photo, [painting], TINY.replace(steps=20, **objective))
    first, last = result.losses[0]["total"], result.losses[-1]["total"]
    assert last < first / factor
    assert result.image.size == (64, 64) and result.image.mode == "RGB"


def test_output_keeps_the_photos_aspect_ratio(painting):
    from PIL import Image

    wide = Image.new("RGB", (120, 60), (90, 120, 200))
    assert stylize(wide, [painting], TINY.replace(steps=2)).image.size == (64, 32)


def test_same_seed_gives_identical_output(photo, painting):
    params = TINY.replace(init="noise", seed=7, steps=4)
    first = stylize(photo, [painting], params).image.tobytes()
    again = stylize(photo, [painting], params).image.tobytes()
    other_seed = stylize(photo, [painting], params.replace(seed=8)).image.tobytes()
    assert first == again
    assert first != other_seed


def test_progress_sees_every_step_with_losses_and_previews(photo, painting):
    seen = []
    stylize(photo, [painting], TINY.replace(steps=6, preview_every=3, preview_size=32), progress=seen.append)
    assert [p.step for p in seen] == [1, 2, 3, 4, 5, 6]
    assert all(p.total == 6 and p.losses["total"] > 0 for p in seen)
    assert [p.step for p in seen if p.preview is not None] == [3, 6]
    assert seen[2].preview.size == (32, 32)


def test_cancellation_stops_within_one_step(photo, painting):
    seen = []
    with pytest.raises(Cancelled) as stopped:
        stylize(photo, [painting], TINY.replace(steps=50), progress=seen.append, should_stop=lambda: len(seen) >= 3)
    assert len(seen) == 3
    assert stopped.value.step == 3 and stopped.value.total == 50


def test_multiscale_runs_every_stage_and_reports_them(photo, painting):
    seen = []
    result = stylize(photo, [painting], StyleParams(size=256, steps=6), progress=seen.append)
    assert [s.long_side for s in result.stages] == [128, 181, 256]
    assert {p.size for p in seen} == {(128, 128), (181, 181), (256, 256)}
    assert result.image.size == (256, 256)


def test_preserve_colors_keeps_the_photos_chroma(photo, painting):
    plain = stylize(photo, [painting], TINY)
    kept = stylize(photo, [painting], TINY.replace(preserve_colors=True))
    content_chroma = rgb_to_ycbcr(to_tensor(photo, (64, 64)))[:, 1:]

    def chroma_error(image):
        return (rgb_to_ycbcr(to_tensor(image))[:, 1:] - content_chroma).abs().mean().item()

    assert chroma_error(kept.image) < 0.02
    assert chroma_error(plain.image) > 2 * chroma_error(kept.image)


def test_two_styles_blend_and_weights_matter(photo, painting, second_painting):
    mostly_first = stylize(photo, [painting, second_painting], TINY.replace(style_blend=(0.9, 0.1)))
    mostly_second = stylize(photo, [painting, second_painting], TINY.replace(style_blend=(0.1, 0.9)))
    assert mostly_first.image.tobytes() != mostly_second.image.tobytes()


def test_adam_and_noise_init_also_descend(photo, painting):
    result = stylize(photo, [painting], TINY.replace(optimizer="adam", init="noise", steps=10))
    assert result.losses[-1]["total"] < result.losses[0]["total"]


def test_a_huge_style_weight_still_ends_in_a_picture(photo, painting):
    """A run that diverges (NaN, or the 2e27 loss torch's L-BFGS reached here) ends flat or
    blown out to the extremes; ours (bounded first step, retreat when uphill) ends in a picture."""
    result = stylize(photo, [painting], TINY.replace(style_weight=1e4, steps=4))
    histogram = result.image.histogram()
    at_the_extremes = sum(histogram[channel * 256] + histogram[channel * 256 + 255] for channel in range(3))
    assert at_the_extremes / (3 * result.image.width * result.image.height) < 0.05
    low, high = zip(*result.image.getextrema())
    assert max(high) - min(low) > 50


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"size": 8}, "size must be between 16 and 4096"),
        ({"preset": "ultra"}, "preset must be one of draft, standard, high"),
        ({"style_weight": -1.0}, "style_weight must be a finite number >= 0"),
        ({"style_blend": (1.0, 2.0)}, "style_blend needs one weight per style image"),
        ({"content_layers": (("relu9_1", 1.0),)}, "unknown VGG-19 layer 'relu9_1'"),
    ],
)
def test_bad_parameters_are_refused_with_what_is_allowed(photo, painting, change, message):
    with pytest.raises(ParamsError, match=message):
        stylize(photo, [painting], TINY.replace(**change))


def test_cuda_asked_for_without_a_gpu_is_a_clear_error(photo, painting):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ParamsError, match="no CUDA GPU is available"):
        stylize(photo, [painting], TINY.replace(device="cuda"))
