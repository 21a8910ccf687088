"""Stylizations, the web side of a job's life: create (with or without uploads), cancel,
retry, requeue and delete. The worker side (running, watching, settling, reconciling)
lives in `stylizer`.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Sequence
from typing import IO, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from gallery import errors, images, quotas
from gallery.models import Photo, Style, Stylization, StylizationStyle, stale_running
from gallery.services import files, queue
from gallery.services.photos import lock_owner, photo_create
from gallery.services.styles import style_create
from stylizer.engine.params import ParamsError, StyleParams, validate

IDEMPOTENCY_KEY_MAX = 255
# Random seeds are picked below this: short enough to read and type back, and exact in
# every JSON client (JavaScript numbers lose integers past 2^53).
RANDOM_SEED_LIMIT = 2**31


def stylization_create(
    *,
    owner: AbstractBaseUser,
    photo: Photo,
    styles: Sequence[tuple[Style, float]],
    params: StyleParams | None = None,
    idempotency_key: str = "",
    remix_of: Stylization | None = None,
    remix_as: str = "",
    print_of: Stylization | None = None,
) -> Stylization:
    """Create a stylization and queue its job once the row is committed (a print:
    gallery/services/prints.py).

    `styles` pairs each style (curated and active, or the owner's private one) with a
    positive blend weight. Raises ValidationError for bad input or what today's limits
    refuse (gallery.quotas), JobLimitReached when the owner already has
    STYLIZER_MAX_ACTIVE_JOBS queued or running, QueuedWorkLimitReached past the queued
    compute quota, and QueueUnavailable when Redis cannot take the job (the row is then
    marked failed and can be retried). Inside an outer transaction the enqueue, and so a
    QueueUnavailable, happens when that transaction commits.

    With an `idempotency_key`, a repeat of an earlier request (same owner, same key)
    creates nothing and returns the row the first one created, with `replayed` set;
    the same key with different inputs raises IdempotencyKeyReused.
    """
    _check_idempotency_key(idempotency_key)
    params = _checked_params(owner=owner, photo=photo, styles=styles, params=params or StyleParams())
    request = (photo.pk, [style.pk for style, _ in styles], params.to_json())

    try:
        with transaction.atomic():
            lock_owner(owner)  # same-owner creates run one at a time from here
            if replay := _replay(owner, idempotency_key, request):
                return replay
            quotas.check_capacity(owner, work=quotas.queued_work(request[2], (photo.width, photo.height)))
            stylization = Stylization.objects.create(
                owner=owner,
                photo=photo,
                params=_with_seed(request[2]),
                queued_at=timezone.now(),
                idempotency_key=idempotency_key,
                remix_of=remix_of,
                remix_as=remix_as,
                print_of=print_of,
            )
            StylizationStyle.objects.bulk_create(
                StylizationStyle(stylization=stylization, style=style, weight=weight, position=index)
                for index, (style, weight) in enumerate(styles)
            )
            transaction.on_commit(lambda: queue.enqueue(stylization, params))
    except IntegrityError:
        # A twin request committed the same key between our check and our insert.
        if replay := _replay(owner, idempotency_key, request):
            return replay
        raise
    return stylization


def stylization_create_with_uploads(
    *,
    owner: AbstractBaseUser,
    styles: Sequence[tuple[Style, float]],
    params: StyleParams | None = None,
    photo: Photo | None = None,
    photo_file: IO[bytes] | None = None,
    style_file: IO[bytes] | None = None,
    style_file_weight: float = 1.0,
    idempotency_key: str = "",
    remix_of: Stylization | None = None,
    remix_as: str = "",
) -> Stylization:
    """The create form's path: a new photo and/or a private style image in the same request
    (a remix's result arrives here as one of them: gallery/remix.py).

    All or nothing: if anything is refused, the uploads are not kept. Errors on the
    uploads are reported on the `photo_file` and `style_file` fields. The form's
    `idempotency_key` is one per rendered form, so a second submission of the same
    form (a double click) returns the first one's row and keeps none of its uploads.
    The style count, the job cap and the quotas are checked before any upload is decoded.
    """
    _check_idempotency_key(idempotency_key)
    created: list[Photo | Style] = []
    try:
        with transaction.atomic():
            lock_owner(owner)  # held to the end: a twin submission waits here, then replays
            if replay := _replay(owner, idempotency_key):
                return replay
            _check_before_uploads(
                owner=owner, styles=styles, params=params, photo=photo, photo_file=photo_file, style_file=style_file
            )
            if photo_file is not None:
                photo = _on_field("photo_file", photo_create, owner=owner, file=photo_file)
                created.append(photo)
            if style_file is not None:
                title = (getattr(style_file, "name", "") or "My style").rsplit(".", 1)[0]
                style = _on_field("style_file", style_create, owner=owner, title=title, file=style_file)
                created.append(style)
                styles = [*styles, (style, style_file_weight)]
            if photo is None:
                raise ValidationError({"photo": errors.PHOTO_NOT_AVAILABLE})
            return stylization_create(
                owner=owner,
                photo=photo,
                styles=styles,
                params=params,
                idempotency_key=idempotency_key,
                remix_of=remix_of,
                remix_as=remix_as,
            )
    except errors.QueueUnavailable:
        raise  # raised after the commit: the uploads and the (failed, retryable) row are kept
    except Exception:
        files.delete_files(*(name for row in created for name in (row.image.name, row.thumbnail.name)))
        raise


def _checked_params(
    *, owner: AbstractBaseUser, photo: Photo, styles: Sequence[tuple[Style, float]], params: StyleParams
) -> StyleParams:
    """What create and retry both check of a request, with today's settings: the photo and
    styles are the owner's to use, the options are in range and offered, and the engine can
    paint it. Returns the params as they are stored (blend weights in, no device)."""
    if photo.owner_id != owner.pk:
        raise ValidationError({"photo": errors.PHOTO_NOT_AVAILABLE})
    if not styles:
        raise ValidationError({"styles": errors.NO_STYLES})
    quotas.check_style_count(len(styles))
    for style, weight in styles:
        if style.owner_id is None and not style.is_active:
            raise ValidationError({"styles": errors.STYLE_WITHDRAWN.format(title=style.title)})
        if not _style_usable_by(style, owner):
            raise ValidationError({"styles": errors.STYLE_NOT_AVAILABLE})
        if not (isinstance(weight, (int, float)) and math.isfinite(weight) and weight > 0):
            raise ValidationError({"weights": errors.BAD_WEIGHT})
    if len({style.pk for style, _ in styles}) != len(styles):
        raise ValidationError({"styles": "Each style can be chosen once."})
    params = params.replace(style_blend=tuple(float(weight) for _, weight in styles), device="auto")
    try:
        validate(params, style_count=len(styles))
    except ParamsError as exc:
        raise ValidationError({"params": str(exc)}) from exc
    quotas.check_size(params)
    if params.continue_from:
        return params  # a print continues a painted result: its sizes were paintable
    quotas.check_paintable(
        params,
        photo=(photo.width, photo.height),
        styles=[(f"the style “{style.title}”", (style.width, style.height)) for style, _ in styles],
    )
    return params


def _check_before_uploads(
    *,
    owner: AbstractBaseUser,
    styles: Sequence[tuple[Style, float]],
    params: StyleParams | None,
    photo: Photo | None,
    photo_file: IO[bytes] | None,
    style_file: IO[bytes] | None,
) -> None:
    """The create form's limits that need no decoded image, so a refused request decodes nothing:
    the style count, the photo and style quotas, the job cap and the queued compute (the new
    photo's size read from its header). Call under the owner's lock."""
    quotas.check_style_count(len(styles) + (style_file is not None))
    if style_file is not None:
        quotas.check_private_style_quota(owner)
    if photo_file is not None:
        quotas.check_photo_quota(owner)
        size = images.header_size(photo_file)
    else:
        size = (photo.width, photo.height) if photo is not None else None
    # Without a readable size nothing will be queued (the upload or the form is refused): count the job only.
    work = quotas.queued_work((params or StyleParams()).to_json(), size) if size else 0.0
    quotas.check_capacity(owner, work=work)


def _check_idempotency_key(key: str) -> None:
    if len(key) > IDEMPOTENCY_KEY_MAX or not all(" " <= char <= "~" for char in key):
        raise ValidationError({"idempotency_key": errors.BAD_IDEMPOTENCY_KEY.format(limit=IDEMPOTENCY_KEY_MAX)})


def _replay(owner: AbstractBaseUser, key: str, request: tuple | None = None) -> Stylization | None:
    """The row an earlier request with this key created, if any (checked against `request`)."""
    if not key:
        return None
    earlier = Stylization.objects.filter(owner=owner, idempotency_key=key).first()
    if earlier is None:
        return None
    if request is not None:
        photo_id, style_ids, params = request
        if params["seed"] is None:  # "a random seed": the one picked for the first request is it
            params = {**params, "seed": earlier.params.get("seed")}
        if (photo_id, style_ids, params) != _request_of(earlier):
            raise errors.IdempotencyKeyReused()
    earlier.replayed = True
    return earlier


def _request_of(stylization: Stylization) -> tuple:
    links = stylization.style_links.order_by("position").values_list("style_id", flat=True)
    return (stylization.photo_id, list(links), stylization.params)


def _with_seed(params: dict[str, Any]) -> dict[str, Any]:
    """Stored parameters with a seed: no seed asked for means a random one, picked here and
    stored on the row, so the page and the API show it, a retry repeats it, and the same
    picture can be painted again on purpose."""
    if params["seed"] is not None:
        return params
    return {**params, "seed": secrets.randbelow(RANDOM_SEED_LIMIT)}


def stylization_cancel(*, stylization: Stylization) -> Stylization:
    """Cancel a queued or running stylization.

    The row changes at once; a running job sees it between two steps and stops, and
    a queued job is removed from the queue (or skipped by the worker if that fails).
    """
    # A stale row reads as failed (selectors): it cannot be cancelled, as if already reaped.
    active = Stylization.objects.filter(pk=stylization.pk, status__in=Stylization.ACTIVE_STATUSES)
    updated = active.exclude(stale_running()).update(status=Stylization.Status.CANCELLED, finished_at=timezone.now())
    if not updated:
        raise errors.InvalidTransition(errors.CANNOT_CANCEL)
    queue.cancel_job(stylization.job_id)
    stylization.refresh_from_db()
    return stylization


def stylization_retry(*, stylization: Stylization) -> Stylization:
    """Queue a failed or cancelled stylization again, as a new attempt with the same inputs.

    It is checked as a new create would be, with today's settings: a style staff took out
    of the catalogue, a size no longer offered, the job cap and the queued compute quota.
    """
    if not stylization.is_retryable:
        raise errors.InvalidTransition(errors.CANNOT_RETRY)
    owner, photo = stylization.owner, stylization.photo
    if stylization.print_side and not _print_source_ready(stylization.print_of):
        raise ValidationError({"print": errors.PRINT_SOURCE_GONE})
    styles = [(link.style, link.weight) for link in stylization.style_links.select_related("style")]
    _checked_params(owner=owner, photo=photo, styles=styles, params=StyleParams.from_json(stylization.params))
    with transaction.atomic():
        lock_owner(owner)
        quotas.check_capacity(owner, work=quotas.queued_work(stylization.params, (photo.width, photo.height)))
        # A stale row reads as failed, so it may be retried before the reaper gets to it.
        retryable = Q(status__in=Stylization.RETRYABLE_STATUSES) | stale_running()
        updated = Stylization.objects.filter(retryable, pk=stylization.pk, attempt=stylization.attempt).update(
            status=Stylization.Status.QUEUED,
            attempt=stylization.attempt + 1,
            step=0,
            total_steps=0,
            losses=[],
            error_message="",
            error_traceback="",
            run_seconds=None,
            queued_at=timezone.now(),
            started_at=None,
            heartbeat_at=None,
            finished_at=None,
        )
        if not updated:
            raise errors.InvalidTransition(errors.CANNOT_RETRY)
        old_files = (stylization.preview.name, stylization.result.name)
        Stylization.objects.filter(pk=stylization.pk).update(preview="", result="")
        stylization.refresh_from_db()
        transaction.on_commit(lambda: files.delete_files(*old_files))
        transaction.on_commit(lambda: queue.enqueue(stylization))
    return stylization


def stylization_requeue(*, stylization: Stylization) -> Stylization:
    """For staff: retry a finished-unsuccessfully row, or put a queued row's job back on the queue."""
    if stylization.status == Stylization.Status.QUEUED:
        queue.enqueue(stylization)
        return stylization
    return stylization_retry(stylization=stylization)


@transaction.atomic
def stylization_delete(*, stylization: Stylization) -> None:
    """Delete a stylization, its files and its private styles. An active one's job stops: a
    queued job is taken off the queue, and a running one's worker sees its row gone."""
    if stylization.is_active:
        job_id = stylization.job_id
        transaction.on_commit(lambda: queue.cancel_job(job_id))
    private_styles = list(Style.objects.filter(stylizations=stylization, owner__isnull=False))
    names = [stylization.preview.name, stylization.result.name]
    folder = files.results_folder(stylization.pk)
    stylization.delete()
    for style in private_styles:
        if not StylizationStyle.objects.filter(style=style).exists():
            names += [style.image.name, style.thumbnail.name]
            style.delete()
    transaction.on_commit(lambda: (files.delete_files(*names), files.remove_empty_folder(folder)))


# Helpers -----------------------------------------------------------------------------


def _on_field(field: str, service: Callable[..., Any], **kwargs: Any) -> Any:
    """Call an upload service, reporting its image errors on the caller's form field."""
    try:
        return service(**kwargs)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "image" in exc.error_dict:
            raise ValidationError({field: exc.error_dict["image"]}) from exc
        raise


def _print_source_ready(source: Stylization | None) -> bool:
    return source is not None and source.status == Stylization.Status.SUCCEEDED and bool(source.result)


def _style_usable_by(style: Style, owner: AbstractBaseUser) -> bool:
    return (style.owner_id is None and style.is_active) or style.owner_id == owner.pk
