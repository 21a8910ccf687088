"""One photo in many styles: one request makes one stylization per chosen style (a "batch"),
instead of one stylization blending them.

All or nothing, under the owner's lock: each stylization is created by
`stylization_create`, so each is checked and counted like any other (the job cap, the
queued-compute quota, the rate limit counts the request once); if one is refused, none is
kept. They share one seed, so the set differs by style alone.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import IO

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from gallery import errors, quotas
from gallery.models import Batch, Photo, Style, Stylization
from gallery.services import files
from gallery.services.photos import lock_owner, photo_create
from gallery.services.stylizations import RANDOM_SEED_LIMIT, stylization_create
from stylizer.engine.params import StyleParams


def batch_create(
    *,
    owner: AbstractBaseUser,
    styles: Sequence[Style],
    params: StyleParams,
    photo: Photo | None = None,
    photo_file: IO[bytes] | None = None,
    idempotency_key: str = "",
    remix_of: Stylization | None = None,
) -> Batch:
    """A stylization of `photo` (or of `photo_file`, uploaded here) in each of `styles`.

    Raises what `stylization_create` raises for any of them (nothing is kept then), and
    ValidationError for no style or more than STYLIZER_MAX_STYLES. With an
    `idempotency_key`, a repeated request returns the first one's batch (each stylization
    keeps `<key>/<n>`). A `remix_of` (its result as the photo) is kept on each.
    """
    if not styles:
        raise ValidationError({"styles": errors.NO_STYLES})
    quotas.check_style_count(len(styles))
    if params.seed is None:  # one seed for the set: the pictures differ by style alone
        params = params.replace(seed=secrets.randbelow(RANDOM_SEED_LIMIT))
    uploaded: Photo | None = None
    try:
        with transaction.atomic():
            lock_owner(owner)
            first_key = f"{idempotency_key}/1" if idempotency_key else ""
            if first_key and (earlier := Stylization.objects.filter(owner=owner, idempotency_key=first_key).first()):
                return earlier.batch
            if photo_file is not None:
                photo = uploaded = _photo_from(owner, photo_file)
            if photo is None:
                raise ValidationError({"photo": errors.PHOTO_NOT_AVAILABLE})
            batch = Batch.objects.create(owner=owner, photo=photo)
            made = [
                stylization_create(
                    owner=owner,
                    photo=photo,
                    styles=[(style, 1.0)],
                    params=params,
                    idempotency_key=f"{idempotency_key}/{number}" if idempotency_key else "",
                    remix_of=remix_of,
                    remix_as="photo" if remix_of else "",
                ).pk
                for number, style in enumerate(styles, 1)
            ]
            # The same transaction: no one sees them before they belong to the batch.
            Stylization.objects.filter(pk__in=made).update(batch=batch)
            return batch
    except errors.QueueUnavailable:
        raise  # after the commit: the rows (failed, retryable) and the photo are kept
    except Exception:
        if uploaded is not None:
            files.delete_files(uploaded.image.name, uploaded.thumbnail.name)
        raise


def _photo_from(owner: AbstractBaseUser, photo_file: IO[bytes]) -> Photo:
    try:
        return photo_create(owner=owner, file=photo_file)
    except ValidationError as exc:  # the upload's errors belong on the form's photo_file field
        if hasattr(exc, "error_dict") and "image" in exc.error_dict:
            raise ValidationError({"photo_file": exc.error_dict["image"]}) from exc
        raise
