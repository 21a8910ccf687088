"""Image responses, one way for the pages and the API: a file streamed to whoever the
selectors allowed, never from a public media URL.
"""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

from gallery.downloads import download_name
from gallery.models import Stylization

# Every image response: the browser takes the Content-Type as sent (no sniffing the bytes
# for a page), and an image opened on its own is a sandboxed document that runs and loads
# nothing (inline styles only: browsers style their image viewer with them).
# SecurityMiddleware adds nosniff too; set here, images keep it whatever the settings say.
IMAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
}


def image(field: FieldFile, *, download_name: str | None = None) -> FileResponse:
    """Stream an image file (as an attachment named `download_name`, if given); 404 if none."""
    if not field:
        raise Http404("No image yet.")
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The image file is missing.") from exc
    response = FileResponse(handle, as_attachment=download_name is not None, filename=download_name or "")
    response["Cache-Control"] = "private, max-age=3600"
    for header, value in IMAGE_HEADERS.items():
        response[header] = value
    return response


def result(stylization: Stylization, *, download: bool) -> FileResponse:
    """A stylization's result PNG; with `download`, saved under a name made of the photo's
    and the paintings' (gallery/downloads.py), not a UUID."""
    return image(stylization.result, download_name=download_name(stylization) if download else None)
