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
from gallery.models import Photo, Style, Stylization, StylizationStyle

admin.site.site_header = "nstsite administration"
admin.site.index_template = "admin/nstsite_index.html"


def _thumbnail(url: str) -> str:
    return format_html('<img src="{}" alt="" style="height:56px;width:auto;border-radius:4px">', url)


class StyleAdminForm(forms.ModelForm):
    """The image is validated and cleaned by the style services, not by ImageField."""

    # Not named "image": the admin would then assign the raw upload to the model field.
    image_file = image_file_field(label="Image", required=False)

    class Meta:
        model = Style
        fields = ("title", "artist", "year", "is_active", "position")

    def clean_image_file(self):
        upload = self.cleaned_data.get("image_file")
        if upload:
            try:
                images.clean_upload(upload, name=upload.name, field="image")
            except ValidationError as exc:
                raise ValidationError(exc.message_dict["image"]) from exc
        elif not self.instance.pk:
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
    readonly_fields = ("preview_large", "width", "height", "created_at")
    actions = ("activate", "deactivate")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Style]:
        return super().get_queryset(request).curated()

    @admin.display(description="Preview")
    def preview(self, style: Style) -> str:
        return _thumbnail(reverse("gallery:style_thumbnail", args=[style.pk]))

    @admin.display(description="Image")
    def preview_large(self, style: Style) -> str:
        url = reverse("gallery:style_thumbnail", args=[style.pk])
        return format_html('<img src="{}" alt="" style="max-height:240px;border-radius:6px">', url)

    def save_model(self, request, obj: Style, form, change: bool) -> None:
        data = form.cleaned_data
        fields = {name: data[name] for name in ("title", "artist", "year", "is_active", "position")}
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


@admin.register(Stylization)
class StylizationAdmin(admin.ModelAdmin):
    list_display = ("preview", "id", "owner", "status", "attempt", "step", "total_steps", "created_at", "run_seconds")
    list_filter = ("status", "owner", "created_at")
    search_fields = ("id", "owner__username", "error_message")
    date_hierarchy = "created_at"
    inlines = (StylizationStyleInline,)
    actions = ("requeue", "cancel")
    readonly_fields = [field.name for field in Stylization._meta.fields] + ["job_id", "rq_dashboard"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Result")
    def preview(self, stylization: Stylization) -> str:
        if stylization.result:
            return _thumbnail(reverse("gallery:stylization_result", args=[stylization.pk]))
        return _thumbnail(reverse("gallery:photo_thumbnail", args=[stylization.photo_id]))

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


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    """Django's, except that a password set by staff revokes the user's API token too."""

    change_password_form = AdminPasswordChangeForm
