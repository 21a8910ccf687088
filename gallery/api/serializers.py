"""Input validation and output shapes. No business logic: services decide what is allowed.

Stylization options are built from the one spec (`gallery.options`), as the create page's
are, so nothing here retypes them. Image URLs point at the API's owner-checked image endpoints.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.reverse import reverse

from gallery import errors, eta, options, selectors
from gallery.api import examples
from gallery.api.print_fields import PrintOfField
from gallery.api.remix import RemixableSerializer, RemixOriginField
from gallery.models import Photo, Style, Stylization, StylizationStyle
from stylizer.engine.params import OPTIONS, STYLE_WEIGHT

MAX_STYLE_POSITION = 1_000_000


def _url(request, name: str, pk) -> str:
    return reverse(f"api:{name}", kwargs={"id": pk}, request=request)


# Errors ------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """The one error shape (see gallery.api.exceptions). Documentation only."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # Declared here because `fields` is also the name of a Serializer attribute.
        return {
            "code": serializers.CharField(
                help_text="Stable machine-readable code: invalid, not_authenticated, authentication_failed, "
                "permission_denied, not_found, invalid_state, throttled, job_limit, queue_unavailable, ..."
            ),
            "detail": serializers.CharField(help_text="One human-readable sentence, fit to show a user."),
            "fields": serializers.DictField(
                child=serializers.JSONField(),
                help_text="For `invalid`: each refused input field and its messages (nested like the input).",
            ),
            "stylization": serializers.UUIDField(
                required=False,
                help_text="Only with `queue_unavailable`: the stylization that was saved as failed; "
                "POST its `retry/` once the queue is back.",
            ),
        }


# Accounts ----------------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(source="key", help_text="Send it as `Authorization: Token <token>`.")


class MeUpdateSerializer(serializers.Serializer):
    notify_by_email = serializers.BooleanField(
        help_text="Mail me when a stylization succeeds or fails; needs an e-mail address on the account."
    )


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.CharField(help_text="May be empty.")
    is_staff = serializers.BooleanField()
    active_stylizations = serializers.SerializerMethodField(help_text="Stylizations queued or running now.")
    max_active_stylizations = serializers.SerializerMethodField(
        help_text="How many may be queued or running at once; more are refused with 429 `job_limit`."
    )
    notify_by_email = serializers.SerializerMethodField(
        help_text="Whether a stylization that succeeds or fails is mailed to `email` (with a link to it)."
    )

    def get_notify_by_email(self, user) -> bool:
        return selectors.profile_get(fetched_by=user).notify_by_email

    def get_active_stylizations(self, user) -> int:
        return selectors.stylization_count_active(fetched_by=user)

    def get_max_active_stylizations(self, user) -> int:
        return settings.STYLIZER_MAX_ACTIVE_JOBS


# Photos ------------------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Photo",
            examples.PHOTO,
            response_only=True,
        )
    ]
)
class _ImageUrlsSerializer(serializers.Serializer):
    """`image_url` and `thumbnail_url`: the API's owner-checked image endpoints for the row."""

    url_basename: str  # the router's basename: "photo" -> api:photo-image, api:photo-thumbnail
    image_url = serializers.SerializerMethodField(help_text="The image file (its owner and staff only).")
    thumbnail_url = serializers.SerializerMethodField(help_text="A small JPEG of it (its owner and staff only).")

    @extend_schema_field(OpenApiTypes.URI)
    def get_image_url(self, row) -> str:
        return _url(self.context.get("request"), f"{self.url_basename}-image", row.pk)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, row) -> str:
        return _url(self.context.get("request"), f"{self.url_basename}-thumbnail", row.pk)


class PhotoSerializer(_ImageUrlsSerializer, serializers.ModelSerializer):
    """A photo you uploaded, stored upright and without metadata."""

    url_basename = "photo"

    class Meta:
        model = Photo
        fields = ["id", "original_name", "width", "height", "created_at", "image_url", "thumbnail_url"]
        read_only_fields = fields


class PhotoUploadSerializer(serializers.Serializer):
    # An empty file reaches the image checks, whose message names the file.
    image = serializers.FileField(
        allow_empty_file=True,
        help_text="A JPEG, PNG or WebP photo; EXIF orientation is applied, metadata dropped.",
    )


# Styles ------------------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Style",
            examples.STYLE,
            response_only=True,
        )
    ]
)
class StyleSerializer(_ImageUrlsSerializer, serializers.ModelSerializer):
    """A painting from the curated catalogue (or your own private style image)."""

    url_basename = "style"

    class Meta:
        model = Style
        fields = [
            "id",
            "title",
            "artist",
            "year",
            "width",
            "height",
            "is_active",
            "position",
            "created_at",
            "image_url",
            "thumbnail_url",
        ]
        read_only_fields = fields


class StyleWriteSerializer(serializers.ModelSerializer):
    """Staff: a curated style's fields; `image` is required to create and optional to update."""

    image = serializers.FileField(allow_empty_file=True, help_text="A JPEG, PNG or WebP image.")
    # Explicit default: a multipart form that leaves it out would otherwise read as false.
    is_active = serializers.BooleanField(default=True, help_text="Shown in the catalogue.")

    class Meta:
        model = Style
        fields = ["title", "artist", "year", "is_active", "position", "image"]
        extra_kwargs = {
            "position": {
                "required": False,
                # A sane range: new styles go to position last + 10, which must still fit.
                "max_value": MAX_STYLE_POSITION,
                "help_text": "Catalogue order, smallest first; default: after the last.",
            }
        }


# Stylizations ------------------------------------------------------------------------


class _OwnedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id chosen from what a selector lets the requesting user see."""

    def __init__(self, *, selector, **kwargs):
        self.selector = selector
        super().__init__(pk_field=serializers.UUIDField(), **kwargs)

    def get_queryset(self):
        return self.selector(fetched_by=self.context["request"].user)


class StyleChoiceSerializer(serializers.Serializer):
    style = _OwnedPrimaryKeyField(
        selector=selectors.style_list_usable,
        queryset=Style.objects.none(),
        error_messages={"does_not_exist": errors.STYLE_NOT_AVAILABLE},
        help_text="An active curated style, or one of your private style images.",
    )
    weight = options.serializer_field(STYLE_WEIGHT)


class OptionsSerializer(serializers.Serializer):
    """The options a user understands; each default is the engine's (`StyleParams`)."""

    size = options.serializer_field(
        OPTIONS["size"],
        max_value=max(settings.STYLIZER_SIZES),  # the largest the site offers
        default=min(options.DEFAULTS.size, max(settings.STYLIZER_SIZES)),
    )
    preset = options.serializer_field(OPTIONS["preset"])
    steps = options.serializer_field(OPTIONS["steps"])
    style_strength = options.serializer_field(OPTIONS["style_strength"])
    preserve_colors = options.serializer_field(OPTIONS["preserve_colors"])
    seed = options.serializer_field(OPTIONS["seed"])


class StylizationCreateSerializer(RemixableSerializer):
    photo = _OwnedPrimaryKeyField(
        selector=selectors.photo_list,
        queryset=Photo.objects.none(),
        required=False,
        error_messages={"does_not_exist": errors.PHOTO_NOT_AVAILABLE},
        help_text="One of your photos (upload it first with POST /api/v1/photos/); not with a remix `as: photo`.",
    )
    styles = StyleChoiceSerializer(
        many=True, max_length=settings.STYLIZER_MAX_STYLES, help_text="At least one, unless a remix `as: style`."
    )
    options = OptionsSerializer(required=False)

    def to_service_kwargs(self) -> dict[str, Any]:
        """The validated input as `services.stylization_create(_with_uploads, for a remix)` takes it."""
        data = self.validated_data
        return {
            "photo": data.get("photo"),
            "styles": [(choice["style"], choice["weight"]) for choice in data["styles"]],
            "params": options.to_params(data.get("options") or {}),
            **(data["remix"].create_kwargs() if "remix" in data else {}),
        }


class StylizationFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Stylization.Status.choices, required=False, help_text="Only stylizations in this state."
    )


class StylizationStyleSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="style.id")
    title = serializers.CharField(source="style.title")

    class Meta:
        model = StylizationStyle
        fields = ["id", "title", "weight"]


@extend_schema_serializer(
    examples=[
        OpenApiExample("Running", examples.STYLIZATION_RUNNING, response_only=True),
        OpenApiExample("Succeeded", examples.STYLIZATION_SUCCEEDED, response_only=True),
    ]
)
class StylizationSerializer(serializers.ModelSerializer):
    photo = serializers.UUIDField(source="photo_id", help_text="The photo's id.")
    styles = StylizationStyleSerializer(source="style_links", many=True)
    options = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(help_text="0-100; 100 once succeeded.")
    queue_position = serializers.SerializerMethodField(
        help_text="While queued: 1 for the next job a worker takes; null otherwise."
    )
    eta_seconds = serializers.SerializerMethodField(
        help_text="While queued or running: seconds until the result is expected, from the worker's measured "
        "step times at each stage and the jobs ahead in the queue, refined as steps run; null when finished "
        "or before any worker has measured its speed."
    )
    eta_at = serializers.SerializerMethodField(help_text="When the result is expected: now + eta_seconds; or null.")
    preview_url = serializers.SerializerMethodField(help_text="Latest preview image while running or when done.")
    result_url = serializers.SerializerMethodField(help_text="The result PNG once succeeded; add ?download=1 to save.")
    can_cancel = serializers.BooleanField(source="is_active")
    can_retry = serializers.BooleanField(source="is_retryable")
    remix_of = RemixOriginField()
    print_of = PrintOfField()

    class Meta:
        model = Stylization
        fields = [
            "id",
            "status",
            "progress",
            "step",
            "total_steps",
            "queue_position",
            "eta_seconds",
            "eta_at",
            "photo",
            "styles",
            "options",
            "error_message",
            "created_at",
            "queued_at",
            "started_at",
            "finished_at",
            "run_seconds",
            "preview_url",
            "result_url",
            "can_cancel",
            "can_retry",
            "remix_of",
            "print_of",
        ]
        read_only_fields = fields

    @extend_schema_field(OptionsSerializer)
    def get_options(self, stylization: Stylization) -> dict[str, Any]:
        return options.from_params(stylization.params)

    def get_progress(self, stylization: Stylization) -> int:
        if stylization.status == Stylization.Status.SUCCEEDED:
            return 100
        if not stylization.total_steps:
            return 0
        return min(100, stylization.step * 100 // stylization.total_steps)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_queue_position(self, stylization: Stylization) -> int | None:
        return selectors.stylization_queue_position(stylization=stylization)

    @extend_schema_field(serializers.IntegerField(allow_null=True, min_value=0))
    def get_eta_seconds(self, stylization: Stylization) -> int | None:
        # One snapshot of the queue per response, however many rows it lists.
        snapshot = self.context.setdefault("queue_snapshot", eta.QueueSnapshot())
        return snapshot.seconds_left(stylization)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_eta_at(self, stylization: Stylization) -> str | None:
        seconds = self.get_eta_seconds(stylization)
        if seconds is None:
            return None
        snapshot = self.context["queue_snapshot"]
        return serializers.DateTimeField().to_representation(snapshot.now + timedelta(seconds=seconds))

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_preview_url(self, stylization: Stylization) -> str | None:
        if not stylization.preview:
            return None
        # The step makes each new preview a new URL, so caches never show a stale one.
        return f"{_url(self.context.get('request'), 'stylization-preview', stylization.pk)}?step={stylization.step}"

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_result_url(self, stylization: Stylization) -> str | None:
        return _url(self.context.get("request"), "stylization-result", stylization.pk) if stylization.result else None
