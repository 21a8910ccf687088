"""`print_of` on a stylization in the API (gallery/api/prints.py has the endpoints)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gallery import prints
from gallery.models import Stylization


class PrintOriginSerializer(serializers.Serializer):
    side = serializers.IntegerField()
    stylization = serializers.UUIDField(allow_null=True, help_text="The result it continues; null once deleted.")


@extend_schema_field(PrintOriginSerializer(allow_null=True))
class PrintOfField(serializers.Field):
    """`print_of`: null unless the stylization is a print."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, stylization: Stylization) -> dict | None:
        request = self.context.get("request")
        origin = prints.print_origin(stylization, fetched_by=request.user) if request else None
        if origin is None:
            return None
        return {"side": origin["side"], "stylization": str(origin["source"].pk) if origin["source"] else None}
