"""The stylization options as the create page and the API offer them, built from the one
spec, `stylizer.engine.params.OPTIONS` (type, range, choices, help; the defaults are
`StyleParams`'s). A range is written there once; the form's fields, the serializer's
fields (and so the OpenAPI schema) and `manage.py stylize` all come from it, and refuse the
same values with the same messages (tests/gallery/test_options.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from rest_framework import serializers

from stylizer.engine.params import OPTIONS, STYLE_WEIGHT, Option, StyleParams

DEFAULTS = StyleParams()
PAGE_OPTIONS = ("size", "preset", "style_strength", "preserve_colors", "seed")  # the page leaves steps to the preset
API_OPTIONS = ("size", "preset", "steps", "style_strength", "preserve_colors", "seed")

# The API's wording (DRF's), which the page uses too.
TOO_LOW = "Ensure this value is greater than or equal to {limit}."
TOO_HIGH = "Ensure this value is less than or equal to {limit}."
NOT_A_NUMBER = {int: "A valid integer is required.", float: "A valid number is required."}
NOT_A_CHOICE = '"{value}" is not a valid choice.'


def default(option: Option) -> Any:
    return getattr(DEFAULTS, option.field) if option is not STYLE_WEIGHT else 1.0


def _messages(kind: type, minimum: float | None, maximum: float | None) -> dict[str, str]:
    messages = {"invalid": NOT_A_NUMBER[kind]}
    if minimum is not None:
        messages["min_value"] = TOO_LOW.format(limit=minimum)
    if maximum is not None:
        messages["max_value"] = TOO_HIGH.format(limit=maximum)
    return messages


def form_field(option: Option, **overrides: Any) -> forms.Field:
    """The page's field for `option`; required unless the spec allows None (then empty is None)."""
    kwargs = {"label": option.label, "help_text": option.help, "initial": default(option)}
    if option.choices:
        choices = [(name, name.title()) for name in option.choices]
        messages = {"invalid_choice": NOT_A_CHOICE.format(value="%(value)s")}
        return forms.ChoiceField(choices=choices, error_messages=messages, **kwargs | overrides)
    if option.type is bool:
        return forms.BooleanField(required=False, **kwargs | overrides)
    kwargs |= {"min_value": option.minimum, "max_value": option.maximum, "required": not option.nullable}
    kwargs |= overrides
    messages = _messages(option.type, kwargs["min_value"], kwargs["max_value"])
    field_class = forms.IntegerField if option.type is int else forms.FloatField
    return field_class(error_messages=messages, **kwargs)


def serializer_field(option: Option, **overrides: Any) -> serializers.Field:
    """The API's field for `option`: optional, with the engine's default."""
    kwargs = {"help_text": option.help, "default": default(option)}
    if option.choices:
        messages = {"invalid_choice": NOT_A_CHOICE.format(value="{input}")}
        return serializers.ChoiceField(choices=option.choices, error_messages=messages, **kwargs | overrides)
    if option.type is bool:
        return serializers.BooleanField(**kwargs | overrides)
    kwargs |= {"min_value": option.minimum, "max_value": option.maximum, "allow_null": option.nullable}
    kwargs |= overrides
    messages = _messages(option.type, kwargs["min_value"], kwargs["max_value"])
    field_class = serializers.IntegerField if option.type is int else serializers.FloatField
    return field_class(error_messages=messages, **kwargs)


def to_params(values: dict[str, Any], base: StyleParams = DEFAULTS) -> StyleParams:
    """StyleParams from option values by name (those left out keep `base`'s)."""
    return base.replace(**{OPTIONS[name].field: value for name, value in values.items()})


def from_params(stored: dict[str, Any], names: tuple[str, ...] = API_OPTIONS) -> dict[str, Any]:
    """The option values of stored parameters (`StyleParams.to_json`), by name."""
    return {name: stored.get(OPTIONS[name].field) for name in names}
