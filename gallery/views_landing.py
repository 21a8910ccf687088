"""The landing page's example pictures: public like the catalogue (selectors.example_get)."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_GET

from gallery import selectors
from gallery.responses import image


@require_GET
def example_before(request: HttpRequest, example_id) -> FileResponse:
    return image(selectors.example_get(example_id=example_id).photo)


@require_GET
def example_after(request: HttpRequest, example_id) -> FileResponse:
    return image(selectors.example_get(example_id=example_id).result)
