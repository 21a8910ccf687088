"""Pages for a batch (one photo in many styles): the set's page and its contact sheet."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gallery import contact_sheet, selectors


@login_required
@require_GET
def batch_detail(request: HttpRequest, batch_id) -> HttpResponse:
    batch = selectors.batch_get(fetched_by=request.user, batch_id=batch_id)
    stylizations = list(batch.stylizations.all())
    context = {
        "batch": batch,
        "stylizations": stylizations,
        "active": any(stylization.is_active for stylization in stylizations),
        "done": sum(stylization.status == stylization.Status.SUCCEEDED for stylization in stylizations),
    }
    return render(request, "gallery/batch_detail.html", context)


@login_required
@require_GET
def batch_contact_sheet(request: HttpRequest, batch_id) -> HttpResponse:
    """The photo and every result in one JPEG, drawn now (what has not finished shows as a grey tile)."""
    batch = selectors.batch_get(fetched_by=request.user, batch_id=batch_id)
    return contact_sheet.response(batch, download="download" in request.GET)
