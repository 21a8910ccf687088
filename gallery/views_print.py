"""Pages for prints: order one from a result page (gallery/services/prints.py)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from gallery import errors, prints, selectors
from gallery.models import Stylization
from gallery.ratelimit import rate_limited
from gallery.services.prints import print_create


def print_context(stylization: Stylization, *, fetched_by) -> dict:
    """What the result page shows of prints: the sizes to order, this result's prints, and for
    a print where it came from."""
    return {
        "print_sizes": prints.print_sizes(source=stylization) if not stylization.print_side else [],
        "prints": list(stylization.prints.order_by("-created_at")),
        "print_origin": prints.print_origin(stylization, fetched_by=fetched_by),
        "print_token": uuid.uuid4().hex,  # one per rendered page: a double click queues one print
    }


@login_required
@require_POST
@rate_limited("stylizations")
def stylization_print_page(request: HttpRequest, stylization_id) -> HttpResponse:
    source = selectors.stylization_get(fetched_by=request.user, stylization_id=stylization_id)
    try:
        side = int(request.POST.get("side", ""))
    except ValueError:
        messages.error(request, "Choose a print size.")
        return redirect(source)
    try:
        made = print_create(owner=request.user, source=source, side=side, idempotency_key=request.POST.get("token", ""))
    except errors.GalleryError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Print queued: {side} px on the long side.")
        return redirect(made)
    return redirect(source)
