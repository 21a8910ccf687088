"""Styles: curated ones (staff, the import command) and users' private ones."""

from __future__ import annotations

from typing import IO, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from gallery import images, quotas
from gallery.models import Style
from gallery.services import files


def style_create(
    *,
    title: str,
    file: IO[bytes],
    artist: str = "",
    year: str = "",
    owner: AbstractBaseUser | None = None,
    is_active: bool = True,
    position: int | None = None,
) -> Style:
    """Add a style: curated when `owner` is None, else private to that user (within their
    quota, checked before the upload is decoded; the caller holds the owner's lock)."""
    name = getattr(file, "name", None) or "style"
    if owner is not None:
        quotas.check_private_style_quota(owner)
    clean = images.clean_upload(file, name=name, field="image")
    if position is None:
        last = Style.objects.curated().order_by("-position").values_list("position", flat=True).first()
        position = (last or 0) + 10 if owner is None else 0
    style = Style(
        owner=owner, title=title.strip()[:200], artist=artist, year=year, is_active=is_active, position=position
    )
    style.image.save(clean.image.name, clean.image, save=False)
    style.thumbnail.save(clean.thumbnail.name, clean.thumbnail, save=False)
    style.full_clean(exclude=["image", "thumbnail"])
    style.save()
    return style


def style_update(*, style: Style, file: IO[bytes] | None = None, **fields: Any) -> Style:
    """Change a style's fields; a new `file` replaces the image and its thumbnail."""
    old_files: tuple[str, ...] = ()
    for name, value in fields.items():
        setattr(style, name, value)
    if file is not None:
        clean = images.clean_upload(file, name=getattr(file, "name", None) or "style", field="image")
        old_files = (style.image.name, style.thumbnail.name)
        style.image.save(clean.image.name, clean.image, save=False)
        style.thumbnail.save(clean.thumbnail.name, clean.thumbnail, save=False)
    style.full_clean(exclude=["image", "thumbnail"])
    style.save()
    if old_files:
        transaction.on_commit(lambda: files.delete_files(*old_files))
    return style
