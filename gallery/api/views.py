"""API views. Thin: validate input with a serializer, call one service or selector, serialize.

Ownership is the selectors' business (another user's object is 404); image bytes are
streamed by `gallery.responses`, as the pages stream them, after the same selectors, for
the user DRF authenticated (so a token works for images too). The token and "me"
endpoints are in `gallery.api.accounts`.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from gallery import responses, selectors, services
from gallery.api import serializers
from gallery.api.docs import ID_PARAMETER, IDEMPOTENCY_KEY_PARAMETER, IMAGE_RESPONSES, error_responses
from gallery.api.negotiation import ImageNegotiation
from gallery.api.parsers import JSONParser, MultiPartParser
from gallery.api.permissions import IsStaffOrReadOnly
from gallery.api.prints import PrintActionsMixin
from gallery.api.throttling import ThrottledActionsMixin

UPLOAD_PARSERS = [MultiPartParser, FormParser]
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
# Ids in URLs are UUIDs; any other path segment falls through to NotFoundView's JSON 404.
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _image_action(**kwargs):
    """A GET sub-resource that streams an image file (errors stay JSON)."""
    return action(detail=True, methods=["get"], content_negotiation_class=ImageNegotiation, **kwargs)


def _created(request, data: dict, detail_name: str, pk) -> Response:
    location = reverse(f"api:{detail_name}", kwargs={"id": pk}, request=request)
    return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})


class NotFoundView(APIView):
    """Any other path under /api/: a 404 in the API's error shape, not the site's HTML page."""

    authentication_classes = []
    permission_classes = [AllowAny]
    schema = None

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound("No API endpoint at this path; see /api/docs/.")


# Styles ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List the curated styles",
        description="Active curated styles in catalogue order (staff also see inactive ones).",
        responses={200: serializers.StyleSerializer(many=True), **error_responses(401, 404)},
    ),
    retrieve=extend_schema(
        summary="Retrieve a style",
        parameters=[ID_PARAMETER],
        responses={200: serializers.StyleSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="Add a curated style (staff)",
        request={"multipart/form-data": serializers.StyleWriteSerializer},
        responses={201: serializers.StyleSerializer, **error_responses(400, 401, 403, 413, 415)},
    ),
    partial_update=extend_schema(
        summary="Change a style (staff)",
        description="Any subset of the fields; a new `image` replaces the picture and its thumbnail. "
        "`is_active: true` puts a deactivated style back in the catalogue.",
        parameters=[ID_PARAMETER],
        request={
            "application/json": serializers.StyleWriteSerializer,
            "multipart/form-data": serializers.StyleWriteSerializer,
        },
        responses={200: serializers.StyleSerializer, **error_responses(400, 401, 403, 404, 413, 415)},
    ),
    destroy=extend_schema(
        summary="Deactivate a style (staff)",
        description="Takes the style out of the catalogue; stylizations that used it keep it.",
        parameters=[ID_PARAMETER],
        responses={204: None, **error_responses(401, 403, 404)},
    ),
    image=extend_schema(summary="A style's image", parameters=[ID_PARAMETER], responses=IMAGE_RESPONSES),
    thumbnail=extend_schema(summary="A style's thumbnail", parameters=[ID_PARAMETER], responses=IMAGE_RESPONSES),
)
class StyleViewSet(GenericViewSet):
    lookup_field = "id"
    lookup_value_regex = UUID_PATTERN
    permission_classes = [IsStaffOrReadOnly]
    parser_classes = [JSONParser, *UPLOAD_PARSERS]
    serializer_class = serializers.StyleSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_style(self, id):
        return selectors.style_get(fetched_by=self.request.user, style_id=id)

    def list(self, request):
        page = self.paginate_queryset(selectors.style_list_catalogue(fetched_by=request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, id):
        return Response(self.get_serializer(self.get_style(id)).data)

    def create(self, request):
        data = serializers.StyleWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        style = services.style_create(file=data.validated_data.pop("image"), **data.validated_data)
        return _created(request, self.get_serializer(style).data, "style-detail", style.pk)

    def partial_update(self, request, id):
        data = serializers.StyleWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        style = services.style_update(
            style=self.get_style(id), file=data.validated_data.pop("image", None), **data.validated_data
        )
        return Response(self.get_serializer(style).data)

    def destroy(self, request, id):
        services.style_update(style=self.get_style(id), is_active=False)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @_image_action()
    def image(self, request, id):
        return responses.image(selectors.style_get_image_source(fetched_by=request.user, style_id=id).image)

    @_image_action()
    def thumbnail(self, request, id):
        return responses.image(selectors.style_get_image_source(fetched_by=request.user, style_id=id).thumbnail)


# Photos ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List your photos",
        description="Newest first.",
        responses={200: serializers.PhotoSerializer(many=True), **error_responses(401, 404)},
    ),
    retrieve=extend_schema(
        summary="Retrieve one of your photos",
        parameters=[ID_PARAMETER],
        responses={200: serializers.PhotoSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="Upload a photo",
        description="Multipart upload of one JPEG, PNG or WebP image. It is stored upright (EXIF orientation "
        "applied), re-encoded from its pixels and without metadata such as GPS. Refused with a 400 whose "
        "message names the file: an empty file, one over the size or pixel limit, any other format "
        "(SVG, PSD, GIF, HTML...), a truncated image, an image that also carries HTML or script, and a "
        "file name with folders or `..` (`parse_error`), and an image too long and narrow to paint. "
        "It is stored no larger than the largest output size, as a high-quality JPEG. A body over "
        "REQUEST_MAX_BYTES is a 413; past your photo quota (count or megabytes) a 403 `quota_exceeded`.",
        request={"multipart/form-data": serializers.PhotoUploadSerializer},
        responses={201: serializers.PhotoSerializer, **error_responses(400, 401, 403, 413, 415, 429)},
    ),
    destroy=extend_schema(
        summary="Delete a photo",
        description="Deletes the photo, every stylization made from it, and their files.",
        parameters=[ID_PARAMETER],
        responses={204: None, **error_responses(401, 404)},
    ),
    image=extend_schema(summary="A photo's image", parameters=[ID_PARAMETER], responses=IMAGE_RESPONSES),
    thumbnail=extend_schema(summary="A photo's thumbnail", parameters=[ID_PARAMETER], responses=IMAGE_RESPONSES),
)
class PhotoViewSet(ThrottledActionsMixin, GenericViewSet):
    lookup_field = "id"
    lookup_value_regex = UUID_PATTERN
    parser_classes = UPLOAD_PARSERS
    serializer_class = serializers.PhotoSerializer
    throttle_scope = "uploads"
    throttled_actions = ("create",)

    def get_photo(self, id):
        return selectors.photo_get(fetched_by=self.request.user, photo_id=id)

    def list(self, request):
        page = self.paginate_queryset(selectors.photo_list(fetched_by=request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, id):
        return Response(self.get_serializer(self.get_photo(id)).data)

    def create(self, request):
        upload = serializers.PhotoUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        photo = services.photo_create(owner=request.user, file=upload.validated_data["image"])
        return _created(request, self.get_serializer(photo).data, "photo-detail", photo.pk)

    def destroy(self, request, id):
        services.photo_delete(photo=self.get_photo(id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @_image_action()
    def image(self, request, id):
        return responses.image(self.get_photo(id).image)

    @_image_action()
    def thumbnail(self, request, id):
        return responses.image(self.get_photo(id).thumbnail)


# Stylizations ------------------------------------------------------------------------

_STYLIZATION_EXAMPLE = OpenApiExample(
    "Two styles",
    {
        "photo": "5b0e6a9e-5d43-4a43-9a57-2f0c3a1b7d10",
        "styles": [
            {"style": "0f8fad5b-d9cb-469f-a165-70867728950e", "weight": 0.7},
            {"style": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "weight": 0.3},
        ],
        "options": {"size": 256, "preset": "draft", "style_strength": 1.5, "preserve_colors": False, "seed": 42},
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List your stylizations",
        description="Newest first, optionally of one status.",
        parameters=[serializers.StylizationFilterSerializer],
        responses={200: serializers.StylizationSerializer(many=True), **error_responses(400, 401, 404)},
    ),
    retrieve=extend_schema(
        summary="Retrieve a stylization",
        description="Poll this for status, progress, queue position, timings, error message and image URLs.",
        parameters=[ID_PARAMETER],
        responses={200: serializers.StylizationSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="Start a stylization",
        description="Queues a job that paints one of your photos in one or more styles. Answers 201 at once "
        "with status `queued`; poll the stylization until it is `succeeded`, `failed` or `cancelled`. "
        "With `remix`, an earlier result is the photo (`as: photo`, no `photo`) or one more style "
        "(`as: style`): yours by `stylization`, or a shared one by `share_token` (as a style only); it is "
        "copied to your photos or your private styles (their quotas apply) and `remix_of` keeps the origin. "
        "A remix of someone else's stylization id, or by a revoked or unknown token, is a 404.",
        request=serializers.StylizationCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        examples=[_STYLIZATION_EXAMPLE],
        responses={201: serializers.StylizationSerializer, **error_responses(400, 401, 404, 413, 415, 422, 429, 503)},
    ),
    destroy=extend_schema(
        summary="Delete a stylization",
        description="Cancels it first if queued or running; its files go too.",
        parameters=[ID_PARAMETER],
        responses={204: None, **error_responses(401, 404)},
    ),
    cancel=extend_schema(
        summary="Cancel a queued or running stylization",
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: serializers.StylizationSerializer, **error_responses(401, 404, 409)},
    ),
    retry=extend_schema(
        summary="Retry a failed or cancelled stylization",
        description="Queues it again as a new attempt with the same inputs, checked as a new stylization "
        "would be: a style no longer offered or a size no longer offered is a 400, the job cap a 429.",
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: serializers.StylizationSerializer, **error_responses(400, 401, 404, 409, 429, 503)},
    ),
    preview=extend_schema(
        summary="The latest preview image (JPEG)",
        parameters=[ID_PARAMETER, OpenApiParameter("step", OpenApiTypes.INT, description="Ignored; busts caches.")],
        responses=IMAGE_RESPONSES,
    ),
    result=extend_schema(
        summary="The result image (PNG; a print's is a JPEG)",
        parameters=[
            ID_PARAMETER,
            OpenApiParameter("download", OpenApiTypes.STR, description="Present: send as an attachment."),
        ],
        responses=IMAGE_RESPONSES,
    ),
)
class StylizationViewSet(PrintActionsMixin, ThrottledActionsMixin, GenericViewSet):
    lookup_field = "id"
    lookup_value_regex = UUID_PATTERN
    parser_classes = [JSONParser]
    serializer_class = serializers.StylizationSerializer
    throttle_scope = "stylizations"
    throttled_actions = ("create", "retry")

    def get_stylization(self, id):
        return selectors.stylization_get(fetched_by=self.request.user, stylization_id=id)

    def list(self, request):
        query = serializers.StylizationFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stylizations = selectors.stylization_list(fetched_by=request.user, **query.validated_data)
        page = self.paginate_queryset(stylizations)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, id):
        return Response(self.get_serializer(self.get_stylization(id)).data)

    def create(self, request):
        data = serializers.StylizationCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        remixed = "remix" in data.validated_data  # its result arrives as an upload
        create = services.stylization_create_with_uploads if remixed else services.stylization_create
        stylization = create(
            owner=request.user,
            idempotency_key=request.headers.get(IDEMPOTENCY_KEY_HEADER, ""),
            **data.to_service_kwargs(),
        )
        response = _created(request, self.get_serializer(stylization).data, "stylization-detail", stylization.pk)
        if stylization.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    def destroy(self, request, id):
        services.stylization_delete(stylization=self.get_stylization(id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def cancel(self, request, id):
        stylization = services.stylization_cancel(stylization=self.get_stylization(id))
        return Response(self.get_serializer(stylization).data)

    @action(detail=True, methods=["post"])
    def retry(self, request, id):
        stylization = services.stylization_retry(stylization=self.get_stylization(id))
        return Response(self.get_serializer(stylization).data)

    @_image_action()
    def preview(self, request, id):
        return responses.image(self.get_stylization(id).preview)

    @_image_action()
    def result(self, request, id):
        return responses.result(self.get_stylization(id), download="download" in request.query_params)
