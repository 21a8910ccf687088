"""API for one photo in many styles: POST /api/v1/batches/ makes one stylization per style
(all or nothing; the job cap, quotas and idempotency as for one), GET lists and shows the
sets, and `contact-sheet/` draws the photo and every result in one JPEG."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.viewsets import GenericViewSet

from gallery import contact_sheet, errors, options, selectors, services
from gallery.api.docs import ID_PARAMETER, IDEMPOTENCY_KEY_PARAMETER, error_responses
from gallery.api.negotiation import ImageNegotiation
from gallery.api.parsers import JSONParser
from gallery.api.serializers import OptionsSerializer, StylizationSerializer, _OwnedPrimaryKeyField
from gallery.api.throttling import ThrottledActionsMixin
from gallery.api.views import IDEMPOTENCY_KEY_HEADER, UUID_PATTERN
from gallery.models import Batch, Photo, Style


class BatchCreateSerializer(serializers.Serializer):
    photo = _OwnedPrimaryKeyField(
        selector=selectors.photo_list,
        queryset=Photo.objects.none(),
        error_messages={"does_not_exist": errors.PHOTO_NOT_AVAILABLE},
        help_text="One of your photos.",
    )
    styles = serializers.ListField(
        child=_OwnedPrimaryKeyField(
            selector=selectors.style_list_usable,
            queryset=Style.objects.none(),
            error_messages={"does_not_exist": errors.STYLE_NOT_AVAILABLE},
        ),
        min_length=1,
        help_text="One stylization is made per style, in this order (at most STYLIZER_MAX_STYLES).",
    )
    options = OptionsSerializer(required=False, help_text="The same options for each.")

    def to_service_kwargs(self) -> dict[str, Any]:
        data = self.validated_data
        params = options.to_params(data.get("options") or {})
        return {"photo": data["photo"], "styles": data["styles"], "params": params}


class BatchSerializer(serializers.ModelSerializer):
    """One photo in many styles: its stylizations, one per style."""

    photo = serializers.UUIDField(source="photo_id", help_text="The photo's id.")
    stylizations = StylizationSerializer(many=True, help_text="One per style, in the order asked for.")
    contact_sheet_url = serializers.SerializerMethodField(
        help_text="The photo and every finished result in one JPEG (drawn on request)."
    )

    class Meta:
        model = Batch
        fields = ["id", "photo", "created_at", "stylizations", "contact_sheet_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_contact_sheet_url(self, batch: Batch) -> str:
        return reverse("api:batch-contact_sheet", kwargs={"id": batch.pk}, request=self.context.get("request"))


@extend_schema_view(
    list=extend_schema(
        summary="List your batches",
        description="Newest first.",
        responses={200: BatchSerializer(many=True), **error_responses(401, 404)},
    ),
    retrieve=extend_schema(
        summary="Retrieve a batch",
        parameters=[ID_PARAMETER],
        responses={200: BatchSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="Paint one photo in several styles, one result each",
        description="Makes one stylization per style (instead of one that blends them), all sharing one seed. "
        "Each counts against the job cap and the queued-compute quota: if any would be refused, none is made "
        "(429 `job_limit`). Poll each stylization, or the batch, until they finish.",
        request=BatchCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: BatchSerializer, **error_responses(400, 401, 413, 415, 422, 429, 503)},
    ),
    contact_sheet=extend_schema(
        summary="A batch's contact sheet (JPEG)",
        parameters=[ID_PARAMETER],
        responses={
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="The contact sheet."),
            **error_responses(401, 404),
        },
    ),
)
class BatchViewSet(ThrottledActionsMixin, GenericViewSet):
    lookup_field = "id"
    lookup_value_regex = UUID_PATTERN
    parser_classes = [JSONParser]
    serializer_class = BatchSerializer
    throttle_scope = "stylizations"
    throttled_actions = ("create",)

    def list(self, request):
        page = self.paginate_queryset(selectors.batch_list(fetched_by=request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, id):
        return Response(self.get_serializer(selectors.batch_get(fetched_by=request.user, batch_id=id)).data)

    def create(self, request):
        data = BatchCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        batch = services.batch_create(
            owner=request.user,
            idempotency_key=request.headers.get(IDEMPOTENCY_KEY_HEADER, ""),
            **data.to_service_kwargs(),
        )
        batch = selectors.batch_get(fetched_by=request.user, batch_id=batch.pk)
        location = reverse("api:batch-detail", kwargs={"id": batch.pk}, request=request)
        return Response(self.get_serializer(batch).data, status=status.HTTP_201_CREATED, headers={"Location": location})

    # url_name without a hyphen: route names are "<basename>-<action>" (tests/gallery/test_two_users.py).
    @action(
        detail=True,
        methods=["get"],
        url_path="contact-sheet",
        url_name="contact_sheet",
        content_negotiation_class=ImageNegotiation,
    )
    def contact_sheet(self, request, id):
        batch = selectors.batch_get(fetched_by=request.user, batch_id=id)
        return contact_sheet.response(batch)
