"""Photos: upload (cleaned, within the owner's quota) and delete."""

from __future__ import annotations

from typing import IO

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from gallery import images, quotas
from gallery.models import Photo
from gallery.services import files


def photo_create(*, owner: AbstractBaseUser, file: IO[bytes]) -> Photo:
    """Store an uploaded photo, upright, without metadata and no larger than the engine can
    use, with its thumbnail. Raises QuotaExceeded past the owner's photo quota: checked
    before the upload is decoded, and again with the stored size."""
    name = getattr(file, "name", None) or "photo"
    quotas.check_photo_quota(owner)
    clean = images.clean_upload(file, name=name, field="image")
    photo = Photo(owner=owner, original_name=name[:255], stored_bytes=clean.image.size + clean.thumbnail.size)
    photo.image.save(clean.image.name, clean.image, save=False)
    photo.thumbnail.save(clean.thumbnail.name, clean.thumbnail, save=False)
    try:
        with transaction.atomic():
            lock_owner(owner)  # two uploads at once cannot both take the last of the quota
            quotas.check_photo_quota(owner, new_bytes=photo.stored_bytes)
            photo.save()
    except Exception:
        files.delete_files(photo.image.name, photo.thumbnail.name)
        raise
    return photo


@transaction.atomic
def photo_delete(*, photo: Photo) -> None:
    """Delete a photo, every stylization made from it, and all their files."""
    from gallery.services.stylizations import stylization_delete  # a photo's stylizations go with it

    for stylization in photo.stylizations.all():
        stylization_delete(stylization=stylization)
    names = (photo.image.name, photo.thumbnail.name)
    photo.delete()
    transaction.on_commit(lambda: files.delete_files(*names))


def lock_owner(owner: AbstractBaseUser) -> None:
    """Lock the owner's row until the transaction ends, so checks that count the owner's
    rows (quotas, job limit, idempotency key) see every earlier create committed."""
    get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
