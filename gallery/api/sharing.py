"""API for sharing: your share links (`/api/v1/shares/`), a shared result by its token
(`/api/v1/shared/<token>/`, no account needed) and the public gallery (`/api/v1/explore/`).

Same services and selectors as the pages (gallery.services.sharing, gallery.selectors); what a
token shows is what `/s/<token>/` shows: the result and the paintings, never the photo,
the owner or any id.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.viewsets import GenericViewSet

from gallery import responses, selectors, services
from gallery.api.docs import ID_PARAMETER, IMAGE_RESPONSES, error_responses
from gallery.api.negotiation import ImageNegotiation
from gallery.api.parsers import JSONParser
from gallery.api.serializers import _OwnedPrimaryKeyField
from gallery.api.views import UUID_PATTERN
from gallery.models import ShareLink, Stylization
from gallery.views_share import shared_paintings

TOKEN_PARAMETER = OpenApiParameter(
    "token", OpenApiTypes.STR, OpenApiParameter.PATH, description="The share link's token (its last path segment)."
)

# Serializers ---------------------------------------------------------------------------


class PaintingSerializer(serializers.Serializer):
    title = serializers.CharField()
    artist = serializers.CharField(help_text="May be empty.")
    year = serializers.CharField(help_text="May be empty.")


class SharedResultSerializer(serializers.Serializer):
    """What anyone holding the link sees: the result and the paintings (a private style image stays untitled)."""

    token = serializers.CharField(read_only=True)
    page_url = serializers.SerializerMethodField(help_text="The public page (`/s/<token>/`), with card tags.")
    image_url = serializers.SerializerMethodField(help_text="The result PNG; needs no account.")
    paintings = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True, help_text="When it was shared.")

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, share: ShareLink) -> str:
        return self.context["request"].build_absolute_uri(share.get_absolute_url())

    @extend_schema_field(OpenApiTypes.URI)
    def get_image_url(self, share: ShareLink) -> str:
        return reverse("gallery:share_result", args=[share.token], request=self.context["request"])

    @extend_schema_field(PaintingSerializer(many=True))
    def get_paintings(self, share: ShareLink) -> list[dict]:
        return shared_paintings(share)


class ShareSerializer(SharedResultSerializer):
    """One of your share links."""

    id = serializers.UUIDField(read_only=True)
    stylization = serializers.UUIDField(source="stylization_id", read_only=True)
    public = serializers.BooleanField(read_only=True, help_text="Listed in the public gallery (`/explore/`).")
    hidden = serializers.BooleanField(read_only=True, help_text="Staff keep it out of the public gallery.")


class ShareCreateSerializer(serializers.Serializer):
    stylization = _OwnedPrimaryKeyField(
        selector=selectors.stylization_list,
        queryset=Stylization.objects.none(),
        help_text="One of your succeeded stylizations. Sharing one already shared returns its link.",
    )
    public = serializers.BooleanField(default=False, help_text="Also list it in the public gallery.")


class ShareUpdateSerializer(serializers.Serializer):
    public = serializers.BooleanField(help_text="List it in the public gallery, or take it out.")


# Views -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List your share links",
        description="Newest first.",
        responses={200: ShareSerializer(many=True), **error_responses(401, 404)},
    ),
    retrieve=extend_schema(
        summary="Retrieve one of your share links",
        parameters=[ID_PARAMETER],
        responses={200: ShareSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="Share a result",
        description="Makes a public link (`page_url`, `image_url`) to a succeeded stylization's result; anyone "
        "holding it sees the result and the paintings, never the photo. A stylization has one link: sharing "
        "it again answers 200 with that link (and sets `public`). Not yet succeeded: 409 `invalid_state`.",
        request=ShareCreateSerializer,
        responses={
            201: ShareSerializer,
            200: ShareSerializer,
            **error_responses(400, 401, 409, 413, 415),
        },
    ),
    partial_update=extend_schema(
        summary="List a shared result in the public gallery, or take it out",
        parameters=[ID_PARAMETER],
        request=ShareUpdateSerializer,
        responses={200: ShareSerializer, **error_responses(400, 401, 404, 413, 415)},
    ),
    destroy=extend_schema(
        summary="Revoke a share link",
        description="The link, its image and `/api/v1/shared/<token>/` answer 404 from then on.",
        parameters=[ID_PARAMETER],
        responses={204: None, **error_responses(401, 404)},
    ),
)
class ShareViewSet(GenericViewSet):
    lookup_field = "id"
    lookup_value_regex = UUID_PATTERN
    parser_classes = [JSONParser]
    serializer_class = ShareSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_share(self, id) -> ShareLink:
        return selectors.share_get(fetched_by=self.request.user, share_id=id)

    def list(self, request):
        page = self.paginate_queryset(selectors.share_list(fetched_by=request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, id):
        return Response(self.get_serializer(self.get_share(id)).data)

    def create(self, request):
        data = ShareCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        stylization = data.validated_data["stylization"]
        existed = ShareLink.objects.filter(stylization=stylization).exists()
        share = services.share_create(stylization=stylization, public=data.validated_data["public"])
        answer = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        location = reverse("api:share-detail", kwargs={"id": share.pk}, request=request)
        return Response(self.get_serializer(share).data, status=answer, headers={"Location": location})

    def partial_update(self, request, id):
        share = self.get_share(id)  # first: someone else's link is a 404 whatever the body
        data = ShareUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        share = services.share_update(share=share, **data.validated_data)
        return Response(self.get_serializer(share).data)

    def destroy(self, request, id):
        services.share_revoke(share=self.get_share(id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class _Public:
    """Open to anyone: no credentials are read (a stale token cannot turn a public read into a 401)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class SharedResultView(_Public, GenericAPIView):
    serializer_class = SharedResultSerializer

    @extend_schema(
        operation_id="shared_retrieve",
        summary="A shared result, by its link's token",
        description="Needs no account. 404 for a token that was revoked or never existed.",
        parameters=[TOKEN_PARAMETER],
        responses={200: SharedResultSerializer, **error_responses(404)},
        auth=[],
    )
    def get(self, request, token: str):
        return Response(self.get_serializer(selectors.share_get_by_token(token=token)).data)


class SharedResultImageView(_Public, GenericAPIView):
    content_negotiation_class = ImageNegotiation

    @extend_schema(
        operation_id="shared_result_image",
        summary="A shared result's image (PNG)",
        description="Needs no account; the same bytes as the page's `image_url`.",
        parameters=[TOKEN_PARAMETER],
        responses={(200, "image/png"): IMAGE_RESPONSES[(200, "image/png")], **error_responses(404)},
        auth=[],
    )
    def get(self, request, token: str):
        return responses.image(selectors.share_get_by_token(token=token).stylization.result)


class ExploreView(_Public, GenericAPIView):
    serializer_class = SharedResultSerializer

    @extend_schema(
        operation_id="explore_list",
        summary="The public gallery",
        description="Shared results their owners chose to list, newest first, minus those staff hid. Needs no account.",
        responses={200: SharedResultSerializer(many=True), **error_responses(404)},
        auth=[],
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.share_list_public())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
