"""Pages for sharing: a result's public link, the owner's list of links, the public gallery.

`/s/<token>/` and its image need no account: the token is the credential, and what it
shows is the result and the paintings, never the photo, ids or file names.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from gallery import errors, selectors, services
from gallery.downloads import download_name
from gallery.models import ShareLink
from gallery.responses import image
from gallery.views import GALLERY_PAGE_SIZE


def shared_paintings(share: ShareLink) -> list[dict]:
    """Title, artist and year of each painting; a private style image stays untitled (its name is the owner's)."""
    return [
        {"title": link.style.title, "artist": link.style.artist, "year": link.style.year}
        if link.style.is_curated
        else {"title": "The owner's own style image", "artist": "", "year": ""}
        for link in share.stylization.style_links.all()
    ]


def share_image_url(request: HttpRequest, share: ShareLink) -> str:
    """Absolute, for OpenGraph and Twitter cards: crawlers do not resolve relative URLs."""
    return request.build_absolute_uri(reverse("gallery:share_result", args=[share.token]))


@login_required
@require_POST
def stylization_share(request: HttpRequest, stylization_id) -> HttpResponse:
    stylization = selectors.stylization_get(fetched_by=request.user, stylization_id=stylization_id)
    public = request.POST.get("public") in ("on", "true", "1")
    try:
        share = services.share_create(stylization=stylization, public=public)
    except errors.GalleryError as exc:
        messages.error(request, str(exc))
    else:
        where = " and listed in the public gallery" if share.public else ""
        messages.success(request, f"Shared{where}: anyone with the link can see the result.")
    return redirect(stylization)


@login_required
@require_GET
def share_list(request: HttpRequest) -> HttpResponse:
    shares = selectors.share_list(fetched_by=request.user)
    return render(request, "gallery/share_list.html", {"shares": shares})


@login_required
@require_POST
def share_revoke(request: HttpRequest, share_id) -> HttpResponse:
    share = selectors.share_get(fetched_by=request.user, share_id=share_id)
    services.share_revoke(share=share)
    messages.success(request, "Link revoked: it no longer opens anything.")
    if request.POST.get("next") == "result":
        return redirect(share.stylization)
    return redirect("gallery:share_list")


@require_GET
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    share = selectors.share_get_by_token(token=token)
    context = {
        "share": share,
        "paintings": shared_paintings(share),
        "image_url": share_image_url(request, share),
        "page_url": request.build_absolute_uri(share.get_absolute_url()),
        "is_owner": share.owner_id == request.user.pk,
    }
    return render(request, "gallery/share_page.html", context)


@require_GET
def share_result(request: HttpRequest, token: str) -> FileResponse:
    share = selectors.share_get_by_token(token=token)
    name = download_name(share.stylization, private_titles=False) if "download" in request.GET else None
    return image(share.stylization.result, download_name=name)


@require_GET
def explore(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.share_list_public(), GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
    items = [(share, shared_paintings(share)) for share in page]
    return render(request, "gallery/explore.html", {"page": page, "items": items})
