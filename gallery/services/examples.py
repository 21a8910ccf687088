"""Writes of the landing page's examples: the starter photo painted by the engine in each
curated style, made at install by `manage.py make_examples` (stylizer/management/commands).
Reads are `selectors.example_list` and `selectors.example_get`: public like the catalogue.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image

from gallery import images
from gallery.models import Example, Style


def example_replace(
    *, style: Style, photo: Image.Image, result: Image.Image, run_seconds: float, params: dict[str, Any]
) -> Example:
    """The style's example, made anew: the old one's row and files go once the new one is saved."""
    example = Example(style=style, run_seconds=run_seconds, params=params)
    example.photo.save("before.jpg", images.jpeg(photo, name="before.jpg", quality=90), save=False)
    example.result.save("after.jpg", images.jpeg(result, name="after.jpg", quality=90), save=False)
    old = Example.objects.filter(style=style).first()
    with transaction.atomic():
        if old is not None:
            old.delete()
            names = (old.photo.name, old.result.name)
            transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
        example.save()
    return example
