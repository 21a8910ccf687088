"""Staff tools: the curated style catalogue and the stylization queue.

Saving a style goes through the style services (validation, thumbnail); the admin
actions call the stylization services, so the admin follows the same rules as the site.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from gallery import errors, images, services
from gallery.forms import AdminPasswordChangeForm, image_file_field
from gallery.models import Photo, Profile, Style, Stylization, StylizationStyle

admin.site.site_header = "nstsite administration"
admin.site.index_template = "admin/nstsite_index.html"


def _thumbnail(url: str, *, height: int = 56) -> str:
    return format_html(
        '<img src="{}" alt="" style="height:{}px;width:auto;max-width:100%;border-radius:4px">', url, height
    )


STYLE_FIELDS = ("title", "artist", "year", "is_active", "position")


class StyleAdminForm(forms.ModelForm):
    """The image is validated and cleaned by the style services, not by ImageField."""

    # Not named "image": the admin would then assign the raw upload to the model field.
    image_file = image_file_field(label="Image", required=False)

    class Meta:
        model = Style
        fields = STYLE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields["image_file"].label = "Replace the image"
            self.fields["image_file"].help_text = "Leave empty to keep the current image."

    def clean_image_file(self):
        upload = self.cleaned_data.get("image_file")
        if upload:
            try:
                images.clean_upload(upload, name=upload.name, field="image")
            except ValidationError as exc:
                raise ValidationError(exc.message_dict["image"]) from exc
        elif self.instance._state.adding:  # (a new style already has its UUID as pk)
            raise ValidationError("Upload the style image.")
        return upload


@admin.register(Style)
class StyleAdmin(admin.ModelAdmin):
    form = StyleAdminForm
    list_display = ("preview", "title", "artist", "year", "is_active", "position")
    list_display_links = ("preview", "title")
    list_editable = ("is_active", "position")
    list_filter = ("is_active",)
    search_fields = ("title", "artist")
    actions = ("activate", "deactivate")

    def get_readonly_fields(self, request: HttpRequest, obj: Style | None = None) -> tuple[str, ...]:
        # A style being added has no image, size or date yet to show.
        return ("preview_large", "width", "height", "created_at") if obj else ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Style]:
        return super().get_queryset(request).curated()

    @admin.display(description="Preview")
    def preview(self, style: Style) -> str:
        return _thumbnail(reverse("gallery:style_thumbnail", args=[style.pk]))

    @admin.display(description="Current image")
    def preview_large(self, style: Style) -> str:
        return _thumbnail(reverse("gallery:style_thumbnail", args=[style.pk]), height=240)

    def save_model(self, request, obj: Style, form, change: bool) -> None:
        # The change list's inline edits send only the editable columns (is_active, position).
        data = form.cleaned_data
        fields = {name: data[name] for name in STYLE_FIELDS if name in data}
        upload = data.get("image_file")
        if change:
            services.style_update(style=obj, file=upload, **fields)
        else:
            obj.pk = services.style_create(file=upload, **fields).pk

    @admin.action(description="Show in the catalogue")
    def activate(self, request: HttpRequest, queryset: QuerySet[Style]) -> None:
        for style in queryset:
            services.style_update(style=style, is_active=True)

    @admin.action(description="Hide from the catalogue")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Style]) -> None:
        for style in queryset:
            services.style_update(style=style, is_active=False)


class StylizationStyleInline(admin.TabularInline):
    model = StylizationStyle
    extra = 0
    can_delete = False
    readonly_fields = ("style", "weight")
    fields = ("style", "weight")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


_STYLIZATION_SHOWN_AS = {"preview": "preview_image", "result": "result_image", "losses": "loss_summary"}


@admin.register(Stylization)
class StylizationAdmin(admin.ModelAdmin):
    # Method names must differ from the model's fields: for a name that is both, the admin
    # shows the field (a file path for `preview`).
    list_display = ("picture", "styles_used", "owner", "status", "progress", "created_at", "run_time")
    list_display_links = ("picture", "styles_used")
    list_filter = ("status", "owner", "created_at")
    search_fields = ("id", "owner__username", "error_message")
    date_hierarchy = "created_at"
    inlines = (StylizationStyleInline,)
    actions = ("requeue", "cancel")
    # Everything read-only; images as pictures (not paths) and the per-step losses summed up.
    fields = readonly_fields = [
        _STYLIZATION_SHOWN_AS.get(field.name, field.name) for field in Stylization._meta.fields
    ] + ["job_id", "rq_dashboard"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Stylization | None = None) -> bool:
        # View only: saving the page would write back the row as it was read, over what the
        # worker wrote since (progress, outcome). Staff act through the actions and Delete.
        return False

    def delete_model(self, request: HttpRequest, obj: Stylization) -> None:
        services.stylization_delete(stylization=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Stylization]) -> None:
        for stylization in queryset:
            services.stylization_delete(stylization=stylization)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Stylization]:
        return super().get_queryset(request).select_related("owner").prefetch_related("style_links__style")

    @admin.display(description="Picture")
    def picture(self, stylization: Stylization) -> str:
        """The result's thumbnail (a finished job's preview is one), the latest preview, or the photo."""
        if stylization.preview:
            return _thumbnail(reverse("gallery:stylization_preview", args=[stylization.pk]))
        return _thumbnail(reverse("gallery:photo_thumbnail", args=[stylization.photo_id]))

    @admin.display(description="Styles")
    def styles_used(self, stylization: Stylization) -> str:
        return " + ".join(link.style.title for link in stylization.style_links.all())

    @admin.display(description="Steps")
    def progress(self, stylization: Stylization) -> str:
        return f"{stylization.step} / {stylization.total_steps}" if stylization.total_steps else "–"

    @admin.display(description="Run time", ordering="run_seconds")
    def run_time(self, stylization: Stylization) -> str:
        return f"{stylization.run_seconds:.1f} s" if stylization.run_seconds is not None else "–"

    @admin.display(description="Losses")
    def loss_summary(self, stylization: Stylization) -> str:
        if not stylization.losses:
            return "–"
        return f"{len(stylization.losses)} steps; total loss {stylization.losses[-1].get('total', 0):.4g} at the last"

    @admin.display(description="Preview")
    def preview_image(self, stylization: Stylization) -> str:
        if not stylization.preview:
            return "–"
        return _thumbnail(reverse("gallery:stylization_preview", args=[stylization.pk]), height=160)

    @admin.display(description="Result")
    def result_image(self, stylization: Stylization) -> str:
        if not stylization.result:
            return "–"
        url = reverse("gallery:stylization_result", args=[stylization.pk])
        return format_html('<a href="{}">{}</a>', url, _thumbnail(url, height=240))

    @admin.display(description="Queue")
    def rq_dashboard(self, stylization: Stylization) -> str:
        return format_html('<a href="{}">django-rq dashboard</a>', reverse("admin:django_rq_home"))

    def _each(self, request: HttpRequest, queryset: QuerySet[Stylization], service, done: str) -> None:
        count = 0
        for stylization in queryset:
            try:
                service(stylization=stylization)
                count += 1
            except (errors.GalleryError, ValidationError) as exc:
                self.message_user(request, f"{stylization.pk}: {exc}", messages.WARNING)
        if count:
            self.message_user(request, f"{done}: {count}.", messages.SUCCESS)

    @admin.action(description="Re-queue (retry failed/cancelled, re-enqueue queued)")
    def requeue(self, request: HttpRequest, queryset: QuerySet[Stylization]) -> None:
        self._each(request, queryset, services.stylization_requeue, "Re-queued")

    @admin.action(description="Cancel")
    def cancel(self, request: HttpRequest, queryset: QuerySet[Stylization]) -> None:
        self._each(request, queryset, services.stylization_cancel, "Cancelled")


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ("preview", "original_name", "owner", "width", "height", "created_at")
    list_filter = ("owner",)
    readonly_fields = ("owner", "image", "thumbnail", "width", "height", "original_name", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Preview")
    def preview(self, photo: Photo) -> str:
        return _thumbnail(reverse("gallery:photo_thumbnail", args=[photo.pk]))

    def delete_model(self, request: HttpRequest, obj: Photo) -> None:
        services.photo_delete(photo=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Photo]) -> None:
        for photo in queryset:
            services.photo_delete(photo=photo)


admin.site.unregister(User)


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["notify_by_email"]


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    """Django's, except that a password set by staff revokes the user's API token too."""

    change_password_form = AdminPasswordChangeForm
    inlines = [ProfileInline]


# Registered in their own module: share links (the public gallery's moderation) and examples.
from gallery import admin_social  # noqa: E402, F401
