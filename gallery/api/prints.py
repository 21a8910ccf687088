"""The API's face of prints (gallery/services/prints.py): `GET /api/v1/stylizations/{id}/prints/`
lists the sizes a result can be printed at and its prints; `POST` with `{"side": 2048}`
queues one. A print is a stylization: poll, cancel, retry, delete and download it as any."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from gallery import prints
from gallery.api.docs import ID_PARAMETER, IDEMPOTENCY_KEY_PARAMETER, error_responses
from gallery.api.serializers import StylizationSerializer
from gallery.api.throttling import RateLimitThrottle
from gallery.services.prints import print_create


class PrintSizeSerializer(serializers.Serializer):
    side = serializers.IntegerField(help_text="Long side of the print in pixels.")
    available = serializers.BooleanField(help_text="True: POST this side to queue a print now.")
    reason = serializers.CharField(help_text="Why not, when not available (empty otherwise).")
    work = serializers.FloatField(help_text="Compute it asks for, in megapixel-steps (QUOTA_QUEUED_WORK's unit).")
    estimate_seconds = serializers.IntegerField(
        allow_null=True, help_text="Expected run time from the workers' measured speeds; null before any measured."
    )


class PrintListSerializer(serializers.Serializer):
    sizes = PrintSizeSerializer(many=True, help_text="Each print size the site offers, for this result.")
    prints = serializers.ListField(child=serializers.UUIDField(), help_text="This result's prints (ids), newest first.")


class PrintCreateSerializer(serializers.Serializer):
    side = serializers.IntegerField(help_text="Long side of the print in pixels: one of the offered sizes.")


class PrintActionsMixin:
    """`prints` on the stylizations viewset (needs its `get_stylization` and serializer)."""

    def get_throttles(self):
        if getattr(self, "action", None) == "prints" and self.request.method == "POST":
            return [RateLimitThrottle()]  # counted with new stylizations and retries
        return super().get_throttles()

    @extend_schema(
        methods=["GET"],
        summary="A result's print sizes and prints",
        description="Each size the site offers (STYLIZER_PRINT_SIDES), whether it can be ordered now and why "
        "not: the result is not finished, already that large, or no live worker makes that size.",
        parameters=[ID_PARAMETER],
        responses={200: PrintListSerializer, **error_responses(401, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Queue a print of a result",
        description="A print continues a succeeded result to `side` px on the long side (2048 or 4096): the "
        "worker starts from the result, upscaled, and repaints it a few steps at each larger size of the "
        "sqrt(2) ladder with the same styles, strength and seed. It is a new stylization (`print_of` names "
        "the result): poll, cancel, retry and delete it as any; its result is a JPEG. It counts against the "
        "job cap (429) and the queued-compute quota. A size not offered, not larger than the result or that "
        "no live worker makes is a 400 naming the reason.",
        parameters=[ID_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
        request=PrintCreateSerializer,
        responses={201: StylizationSerializer, **error_responses(400, 401, 404, 429, 503)},
    )
    @action(detail=True, methods=["get", "post"])
    def prints(self, request, id):
        source = self.get_stylization(id)
        if request.method == "GET":
            data = {
                "sizes": prints.print_sizes(source=source),
                "prints": [str(pk) for pk in source.prints.order_by("-created_at").values_list("pk", flat=True)],
            }
            return Response(PrintListSerializer(data).data)
        body = PrintCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = print_create(
            owner=request.user,
            source=source,
            side=body.validated_data["side"],
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        location = reverse("api:stylization-detail", kwargs={"id": made.pk}, request=request)
        return Response(self.get_serializer(made).data, status=201, headers={"Location": location})
