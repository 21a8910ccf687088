"""Names for downloaded results: after the photo and the paintings, not a UUID.

`holiday-in-rome--the-starry-night.png` reads in a downloads folder; every part goes
through `slugify` (ASCII letters, digits and hyphens only), so no name can carry a path,
quotes or control characters into the Content-Disposition header or the user's disk.
"""

from __future__ import annotations

from pathlib import PurePath

from django.utils.text import slugify

from gallery.models import Stylization

# Long enough to read, short enough for every file system (255 bytes) and for Windows paths.
MAX_PART = 40
MAX_PAINTINGS = 3


def _part(text: str) -> str:
    return slugify(text)[:MAX_PART].strip("-")


def download_name(stylization: Stylization, *, private_titles: bool = True, suffix: str | None = None) -> str:
    """`<photo>--<painting>[-<painting>...].png`, a print's `...--print-2048px.jpg`; without
    `private_titles` (a shared result's visitors) the photo's file name and the owner's own
    style images' titles stay out."""
    if suffix is None:
        side = stylization.print_side
        suffix = f"--print-{side}px.jpg" if side else ".png"
    paintings = [
        _part(link.style.title) if private_titles or link.style.is_curated else "own-style"
        for link in stylization.style_links.all()[:MAX_PAINTINGS]
    ]
    photo = _part(PurePath(stylization.photo.original_name).stem) if private_titles else "shared"
    parts = [photo or "photo", "-".join(part for part in paintings if part) or "stylized"]
    return "--".join(parts) + suffix
