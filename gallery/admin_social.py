"""Staff tools for the social side: the public gallery's items, which staff may hide from
/explore/, and the landing page's examples.

Registered from gallery.admin. Hiding goes through the sharing services; the link itself
keeps working for whoever holds it (its owner revokes it, or staff delete the row).
Examples are made by `manage.py make_examples`; staff may only look at them or delete one.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from gallery import services
from gallery.models import Example, ShareLink


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("picture", "styles_used", "owner", "public", "hidden", "created_at")
    list_display_links = ("picture", "styles_used")
    list_editable = ("hidden",)
    list_filter = ("public", "hidden", "created_at")
    search_fields = ("owner__username",)
    actions = ("hide", "show")
    fields = ("picture_large", "owner", "stylization", "public", "hidden", "created_at", "link")
    readonly_fields = ("picture_large", "owner", "stylization", "public", "created_at", "link")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShareLink]:
        return super().get_queryset(request).select_related("owner").prefetch_related("stylization__style_links__style")

    def save_model(self, request: HttpRequest, obj: ShareLink, form, change: bool) -> None:
        services.share_hide(share=obj, hidden=obj.hidden)

    def _image(self, share: ShareLink, height: int) -> str:
        url = reverse("gallery:share_result", args=[share.token])
        return format_html('<img src="{}" alt="" style="height:{}px;width:auto;border-radius:4px">', url, height)

    @admin.display(description="Picture")
    def picture(self, share: ShareLink) -> str:
        return self._image(share, 56)

    @admin.display(description="Result")
    def picture_large(self, share: ShareLink) -> str:
        return self._image(share, 240)

    @admin.display(description="Styles")
    def styles_used(self, share: ShareLink) -> str:
        return " + ".join(link.style.title for link in share.stylization.style_links.all())

    @admin.display(description="Public page")
    def link(self, share: ShareLink) -> str:
        return format_html('<a href="{}">{}</a>', share.get_absolute_url(), share.get_absolute_url())

    @admin.action(description="Hide from the public gallery")
    def hide(self, request: HttpRequest, queryset: QuerySet[ShareLink]) -> None:
        for share in queryset:
            services.share_hide(share=share, hidden=True)

    @admin.action(description="Show in the public gallery again")
    def show(self, request: HttpRequest, queryset: QuerySet[ShareLink]) -> None:
        for share in queryset:
            services.share_hide(share=share, hidden=False)


@admin.register(Example)
class ExampleAdmin(admin.ModelAdmin):
    list_display = ("pictures", "style", "width", "height", "run_seconds", "created_at")
    fields = readonly_fields = ("pictures", "style", "width", "height", "run_seconds", "params", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Example | None = None) -> bool:
        return False

    @admin.display(description="Before / after")
    def pictures(self, example: Example) -> str:
        before = reverse("gallery:example_before", args=[example.pk])
        after = reverse("gallery:example_after", args=[example.pk])
        style = "height:56px;width:auto;border-radius:4px;margin-right:4px"
        return format_html(
            '<img src="{}" alt="" style="{}"><img src="{}" alt="" style="{}">', before, style, after, style
        )
