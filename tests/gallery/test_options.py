"""gallery.options: one spec for each option; the create page's form and the API's serializer
accept and refuse the same values, with the same messages."""

import pytest
from rest_framework import serializers

from gallery import options
from gallery.api.serializers import OptionsSerializer, StyleChoiceSerializer
from gallery.forms import StylizationForm
from gallery.models import Photo, Style
from stylizer.engine.params import MAX_STEPS, OPTIONS, SEED_LIMIT, STYLE_WEIGHT, StyleParams, validate

# Each option the page and the API share, with values at and past its edges, and junk.
EDGES = {
    "style_strength": ["0.09", "0.1", "1", "10", "10.01", "-1", "abc", "nan", "inf", ""],
    "seed": ["-1", "0", "7", str(SEED_LIMIT - 1), str(SEED_LIMIT), "1.5", "abc", ""],
    "preset": ["draft", "standard", "high", "ultra", "Draft", ""],
}
WEIGHT_EDGES = ["0", "0.009", "0.01", "0.5", "100", "100.5", "-3", "abc", "inf"]


def _page(name: str, value: str):
    """(value, None) if the page's form takes it, else (None, its messages)."""
    field = StylizationForm(photos=Photo.objects.none(), styles=Style.objects.none()).fields[name]
    return _form_answer(field, value)


def _form_answer(field, value: str):
    from django.core.exceptions import ValidationError

    try:
        return field.clean(value), None
    except ValidationError as exc:
        return None, exc.messages


def _api_answer(field, value: str):
    field.bind("option", serializers.Serializer())
    try:
        return field.run_validation(None if value == "" else value), None
    except serializers.ValidationError as exc:
        return None, [str(message) for message in exc.detail]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "value"), [(name, value) for name, values in EDGES.items() for value in values])
def test_the_page_and_the_api_take_and_refuse_the_same_values_with_the_same_messages(name, value):
    page = _page(name, value)
    api = _api_answer(OptionsSerializer().fields[name], value)
    if value == "" and OPTIONS[name].nullable:
        assert page == api == (None, None), "empty (null) means the default's way"
    elif value == "":
        assert page[1] and api[1], "required on the page; the API needs a value too"
    else:
        assert page == api


@pytest.mark.parametrize("value", WEIGHT_EDGES)
def test_a_style_weight_has_one_range_on_the_page_and_in_the_api(value):
    page = _form_answer(options.form_field(STYLE_WEIGHT, required=False), value)
    api = _api_answer(StyleChoiceSerializer().fields["weight"], value)
    assert page == api


def test_every_value_the_api_takes_the_engine_takes():
    for name, option in OPTIONS.items():
        if option.minimum is None:
            continue
        for value in (option.minimum, option.maximum):
            params = options.to_params({name: option.type(value)}, StyleParams())
            if name == "size":
                params = params.replace(size=int(value))
            validate(params)


def test_steps_have_one_range_in_the_engine_the_api_and_the_schema():
    steps = OptionsSerializer().fields["steps"]
    assert (steps.min_value, steps.max_value) == (1, MAX_STEPS)
    assert _api_answer(steps, str(MAX_STEPS + 1))[1] == [f"Ensure this value is less than or equal to {MAX_STEPS}."]
