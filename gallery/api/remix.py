"""The API's remix fields: `remix` in a create request, `remix_of` on every stylization.

Same rules as the pages (gallery/remix.py): your own result as the photo or a style, a
shared result (by its link's token) as a style; the origin shows as its id to its owner
and as its share link to anyone else.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from gallery import errors
from gallery.models import Stylization
from gallery.remix import REMIX_AS, Remix, remix_get, remix_origin


class RemixSerializer(serializers.Serializer):
    """Start from an earlier result: one of yours (`stylization`) or a shared one (`share_token`)."""

    stylization = serializers.UUIDField(required=False, help_text="One of your succeeded stylizations.")
    share_token = serializers.CharField(
        required=False, max_length=64, help_text="A share link's token: someone's shared result, as a style only."
    )
    # "as" is a Python keyword: declared in get_fields.

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            **super().get_fields(),
            "as": serializers.ChoiceField(
                choices=REMIX_AS,
                help_text="`photo`: the result is the photo to paint (then leave `photo` out); "
                "`style`: it is one more style (then `styles` may be empty).",
            ),
        }

    def validate(self, attrs: dict[str, Any]) -> Remix:
        if ("stylization" in attrs) == ("share_token" in attrs):
            raise serializers.ValidationError(errors.REMIX_ONE_SOURCE)
        return remix_get(
            fetched_by=self.context["request"].user,
            as_=attrs["as"],
            stylization_id=attrs.get("stylization"),
            share_token=attrs.get("share_token"),
        )


class RemixableSerializer(serializers.Serializer):
    """A create request that may start from a remix: then `photo` (as the photo) or `styles`
    (as a style) may be left out; without one both are required, as always."""

    remix = RemixSerializer(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        remix_as = attrs["remix"].as_ if "remix" in attrs else None
        if "photo" not in attrs and remix_as != "photo":
            raise serializers.ValidationError({"photo": [serializers.Field.default_error_messages["required"]]})
        if not attrs["styles"] and remix_as != "style":
            raise serializers.ValidationError({"styles": [errors.NO_STYLES]})
        return attrs


class RemixOriginSerializer(serializers.Serializer):
    """Where a remix came from, as far as you may know it."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "as": serializers.ChoiceField(choices=REMIX_AS, help_text="How the origin's result was used."),
            "stylization": serializers.UUIDField(
                allow_null=True, help_text="The origin's id when it is yours; null for someone else's."
            ),
            "shared_url": serializers.URLField(
                allow_null=True, help_text="Someone else's origin: its share page while it is shared; else null."
            ),
        }


@extend_schema_field(RemixOriginSerializer(allow_null=True))
class RemixOriginField(serializers.Field):
    """`remix_of`: null unless the stylization is a remix whose origin still exists."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, stylization: Stylization) -> dict | None:
        request = self.context.get("request")
        origin = remix_origin(stylization, fetched_by=request.user) if request else None
        if origin is None:
            return None
        share = origin["share"]
        return {
            "as": origin["as"],
            "stylization": str(origin["stylization"].pk) if origin["stylization"] else None,
            "shared_url": reverse("gallery:share_page", args=[share.token], request=request) if share else None,
        }
