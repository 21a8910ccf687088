"""gallery.forms: the stylization options come from the engine's StyleParams."""

import pytest

from gallery.forms import StylizationForm
from gallery.models import Photo, Style
from gallery.options import PAGE_OPTIONS
from stylizer.engine import StyleParams
from stylizer.engine.params import OPTIONS, PRESETS


def _form(data=None) -> StylizationForm:
    return StylizationForm(data, photos=Photo.objects.none(), styles=Style.objects.none())


@pytest.mark.django_db
def test_initial_values_are_the_engine_defaults(settings):
    settings.STYLIZER_SIZES = (256, 512, 1024)
    form = _form()
    defaults = StyleParams()
    for name in PAGE_OPTIONS:
        assert form.fields[name].initial == getattr(defaults, OPTIONS[name].field), name
    assert [value for value, _ in form.fields["preset"].choices] == list(PRESETS)


@pytest.mark.django_db
def test_sizes_outside_the_engines_range_are_not_offered(settings):
    settings.STYLIZER_SIZES = (8, 128, 99_999)
    assert [value for value, _ in _form().fields["size"].choices] == [128]


@pytest.mark.django_db
def test_options_become_style_params(settings):
    settings.STYLIZER_SIZES = (128, 256)
    data = {"size": "256", "preset": "high", "style_strength": "3", "preserve_colors": "on", "seed": "7"}
    form = _form(data)
    form.is_valid()
    assert form.to_params() == StyleParams(size=256, preset="high", style_weight=3.0, preserve_colors=True, seed=7)


@pytest.mark.django_db
def test_empty_seed_means_random(settings):
    settings.STYLIZER_SIZES = (128,)
    form = _form({"size": "128", "preset": "draft", "style_strength": "1"})
    form.is_valid()
    assert form.to_params().seed is None
