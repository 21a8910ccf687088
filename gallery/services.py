"""Everything that changes gallery data. Views (pages and API), the admin, management
commands and the RQ job call these functions; nothing else writes.

Input errors raise `ValidationError` with a field dict; refused actions raise the
classes in `gallery.errors`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import os
import secrets
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import IO, Any

import django_rq
import redis
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rq import get_current_job
from rq.job import Job, JobStatus
from rq.timeouts import JobTimeoutException

from gallery import errors, images, quotas
from gallery.models import Photo, Style, Stylization, StylizationStyle
from gallery.storage import sweep_partial_files
from stylizer.engine import Cancelled, EngineError, Progress, StyleParams, open_image, stylize
from stylizer.engine.params import ParamsError, validate
from stylizer.engine.schedule import ladder_of, plan

log = logging.getLogger(__name__)

JOB_FUNCTION = "stylizer.jobs.run_stylization"
# Wall time of one optimizer step at 512 px, with headroom: the README benchmark measured
# about 3.2 s on a 2-core CPU with nothing else running, and a busy worker machine is
# slower. The job timeout scales it by each stage's pixels so big and high-quality jobs
# get proportionally longer; it only bounds a stuck job, so generous costs nothing.
SECONDS_PER_STEP_AT_512 = 8.0
# The worker sends this signal to a job's process when its row stops being that job's
# (cancelled, deleted, failed by the reconciler): the engine stops at once (see _RunState).
STOP_SIGNAL = signal.SIGUSR1
# A write cut short by a crash leaves a .part file; none legitimately takes this long.
PARTIAL_FILE_MAX_AGE = 3600
IDEMPOTENCY_KEY_MAX = 255
# Random seeds are picked below this: short enough to read and type back, and exact in
# every JSON client (JavaScript numbers lose integers past 2^53).
RANDOM_SEED_LIMIT = 2**31


# API tokens --------------------------------------------------------------------------


def auth_token_get_or_create(*, user: AbstractBaseUser) -> Token:
    """The user's API token, created on first use (one per user, as DRF's token auth has it)."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


def auth_token_revoke(*, user: AbstractBaseUser) -> None:
    """Delete the user's API token; clients using it get 401 until they obtain a new one."""
    Token.objects.filter(user=user).delete()


def auth_password_changed(*, user: AbstractBaseUser, by_reset_link: bool = False) -> None:
    """End what the old password opened, once a new one is saved (by its owner, a reset link
    or staff): the API token, which never expires and may be in the hands of whoever knew the
    old password, is revoked. Sessions need nothing here: Django ends every session whose
    password hash is out of date (the page that changed it keeps its own, on purpose).

    `by_reset_link`: whoever set it read the account's e-mail, so the log-in lock on the
    username is lifted too; a locked-out owner can log in with the new password at once.
    """
    auth_token_revoke(user=user)
    if by_reset_link:
        axes_reset(username=user.get_username())


# Photos ------------------------------------------------------------------------------


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
            _lock_owner(owner)  # two uploads at once cannot both take the last of the quota
            quotas.check_photo_quota(owner, new_bytes=photo.stored_bytes)
            photo.save()
    except Exception:
        _delete_files(photo.image.name, photo.thumbnail.name)
        raise
    return photo


@transaction.atomic
def photo_delete(*, photo: Photo) -> None:
    """Delete a photo, every stylization made from it, and all their files."""
    for stylization in photo.stylizations.all():
        stylization_delete(stylization=stylization)
    files = (photo.image.name, photo.thumbnail.name)
    photo.delete()
    transaction.on_commit(lambda: _delete_files(*files))


# Styles ------------------------------------------------------------------------------


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
        transaction.on_commit(lambda: _delete_files(*old_files))
    return style


# Stylizations: parameters ------------------------------------------------------------

_STORED_EXCLUDED = ("device",)


def params_to_json(params: StyleParams) -> dict[str, Any]:
    """The stored form of StyleParams: every field except the worker's device."""
    data = dataclasses.asdict(params)
    for name in _STORED_EXCLUDED:
        data.pop(name)
    return data


def params_from_json(data: dict[str, Any], *, device: str = "auto") -> StyleParams:
    """Rebuild StyleParams from stored JSON (lists back to tuples; unknown keys ignored)."""
    known = {field.name for field in dataclasses.fields(StyleParams)}

    def tuples(value: Any) -> Any:
        return tuple(tuples(item) for item in value) if isinstance(value, list) else value

    return StyleParams(**{key: tuples(value) for key, value in data.items() if key in known}, device=device)


def _plan(params: StyleParams) -> list:
    return plan(params.size, params.preset, params.steps, params.multiscale, ladder_of(params.style_loss))


def job_timeout(params: StyleParams) -> int:
    """Seconds RQ allows the job: a base plus a per-step cost scaled by each stage's pixels."""
    work = sum(stage.steps * (stage.long_side / 512) ** 2 for stage in _plan(params))
    seconds = settings.STYLIZER_JOB_TIMEOUT_BASE + work * SECONDS_PER_STEP_AT_512 * settings.STYLIZER_JOB_TIMEOUT_SCALE
    return max(1, math.ceil(seconds))


# Stylizations: lifecycle -------------------------------------------------------------


def stylization_create(
    *,
    owner: AbstractBaseUser,
    photo: Photo,
    styles: Sequence[tuple[Style, float]],
    params: StyleParams | None = None,
    idempotency_key: str = "",
) -> Stylization:
    """Create a stylization and queue its job once the row is committed.

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
    request = (photo.pk, [style.pk for style, _ in styles], _as_stored(params_to_json(params)))

    try:
        with transaction.atomic():
            _lock_owner(owner)  # same-owner creates run one at a time from here
            if replay := _replay(owner, idempotency_key, request):
                return replay
            quotas.check_capacity(owner, work=quotas.queued_work(request[2], (photo.width, photo.height)))
            stylization = Stylization.objects.create(
                owner=owner,
                photo=photo,
                params=_with_seed(request[2]),
                queued_at=timezone.now(),
                idempotency_key=idempotency_key,
            )
            StylizationStyle.objects.bulk_create(
                StylizationStyle(stylization=stylization, style=style, weight=weight, position=index)
                for index, (style, weight) in enumerate(styles)
            )
            transaction.on_commit(lambda: _enqueue(stylization))
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
) -> Stylization:
    """The create form's path: a new photo and/or a private style image in the same request.

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
            _lock_owner(owner)  # held to the end: a twin submission waits here, then replays
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
                owner=owner, photo=photo, styles=styles, params=params, idempotency_key=idempotency_key
            )
    except errors.QueueUnavailable:
        raise  # raised after the commit: the uploads and the (failed, retryable) row are kept
    except Exception:
        _delete_files(*(name for row in created for name in (row.image.name, row.thumbnail.name)))
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
    work = quotas.queued_work(params_to_json(params or StyleParams()), size) if size else 0.0
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
    return (stylization.photo_id, list(links), _as_stored(stylization.params))


def _with_seed(params: dict[str, Any]) -> dict[str, Any]:
    """Stored parameters with a seed: no seed asked for means a random one, picked here and
    stored on the row, so the page and the API show it, a retry repeats it, and the same
    picture can be painted again on purpose."""
    if params["seed"] is not None:
        return params
    return {**params, "seed": secrets.randbelow(RANDOM_SEED_LIMIT)}


def _as_stored(data: dict[str, Any]) -> dict[str, Any]:
    """JSON's view of the data (tuples become lists), as the database gives it back."""
    return json.loads(json.dumps(data))


def stylization_cancel(*, stylization: Stylization) -> Stylization:
    """Cancel a queued or running stylization.

    The row changes at once; a running job sees it between two steps and stops, and
    a queued job is removed from the queue (or skipped by the worker if that fails).
    """
    updated = Stylization.objects.filter(pk=stylization.pk, status__in=Stylization.ACTIVE_STATUSES).update(
        status=Stylization.Status.CANCELLED, finished_at=timezone.now()
    )
    if not updated:
        raise errors.InvalidTransition(errors.CANNOT_CANCEL)
    _cancel_job(stylization.job_id)
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
    styles = [(link.style, link.weight) for link in stylization.style_links.select_related("style")]
    _checked_params(owner=owner, photo=photo, styles=styles, params=params_from_json(stylization.params))
    with transaction.atomic():
        _lock_owner(owner)
        quotas.check_capacity(owner, work=quotas.queued_work(stylization.params, (photo.width, photo.height)))
        updated = Stylization.objects.filter(
            pk=stylization.pk, status__in=Stylization.RETRYABLE_STATUSES, attempt=stylization.attempt
        ).update(
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
        transaction.on_commit(lambda: _delete_files(*old_files))
        transaction.on_commit(lambda: _enqueue(stylization))
    return stylization


def stylization_requeue(*, stylization: Stylization) -> Stylization:
    """For staff: retry a finished-unsuccessfully row, or put a queued row's job back on the queue."""
    if stylization.status == Stylization.Status.QUEUED:
        _enqueue(stylization)
        return stylization
    return stylization_retry(stylization=stylization)


@transaction.atomic
def stylization_delete(*, stylization: Stylization) -> None:
    """Delete a stylization, its files and its private styles. An active one's job stops: a
    queued job is taken off the queue, and a running one's worker sees its row gone."""
    if stylization.is_active:
        job_id = stylization.job_id
        transaction.on_commit(lambda: _cancel_job(job_id))
    private_styles = list(Style.objects.filter(stylizations=stylization, owner__isnull=False))
    files = [stylization.preview.name, stylization.result.name]
    folder = _results_folder(stylization.pk)
    stylization.delete()
    for style in private_styles:
        if not StylizationStyle.objects.filter(style=style).exists():
            files += [style.image.name, style.thumbnail.name]
            style.delete()
    transaction.on_commit(lambda: (_delete_files(*files), _remove_empty_folder(folder)))


# Stylizations: keeping the rows true ----------------------------------------------------


def stylization_reap_stale(*, now: datetime | None = None) -> int:
    """Fail running rows whose worker stopped sending heartbeats; return how many.

    A worker killed mid-job (OOM, SIGKILL, machine gone) cannot say so; its row would
    stay "running" forever. The worker beats every STYLIZER_HEARTBEAT_INTERVAL seconds
    while its job runs, so a row silent for STYLIZER_STALE_AFTER seconds has lost it.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.STYLIZER_STALE_AFTER)
    return (
        Stylization.objects.filter(status=Stylization.Status.RUNNING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
        .update(status=Stylization.Status.FAILED, error_message=errors.WORKER_LOST, finished_at=now)
    )


def stylization_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Make the rows agree with what is really happening; return what was fixed.

    Every worker runs this at start and every STYLIZER_RECONCILE_INTERVAL seconds
    (`manage.py reconcile` runs it once). It fails, with a message that says why:
    - running rows whose heartbeat stopped (their worker was killed): `stylization_reap_stale`;
    - queued or running rows whose RQ job is gone (Redis was flushed or restarted without
      persistence) or ended without telling the row (its worker died before it could).
    It also deletes the `.part` files of writes that a crash cut short. If Redis is
    down, only the database-side checks run.
    """
    now = now or timezone.now()
    fixed = {"stale": stylization_reap_stale(now=now), "lost": 0}
    try:
        fixed["lost"] = _fail_rows_without_jobs(now)
    except redis.RedisError as exc:
        log.warning("reconcile: the queue is unavailable (%s); only heartbeats were checked", exc)
    fixed["partial_files"] = sweep_partial_files(older_than=PARTIAL_FILE_MAX_AGE)
    if any(fixed.values()):
        log.info("reconciled: %s", fixed)
    return fixed


def _fail_rows_without_jobs(now: datetime) -> int:
    # Rows younger than the grace may be between their commit and their enqueue.
    settled = now - timedelta(seconds=settings.STYLIZER_QUEUE_GRACE)
    rows = list(
        Stylization.objects.filter(
            Q(status=Stylization.Status.QUEUED, queued_at__lt=settled)
            | Q(status=Stylization.Status.RUNNING, started_at__lt=settled)
        ).values_list("pk", "attempt", "status")
    )
    if not rows:
        return 0
    ids = [Stylization.job_id_for(pk, attempt) for pk, attempt, _ in rows]
    jobs = Job.fetch_many(ids, connection=_queue().connection)
    failed = 0
    for (pk, attempt, status), job in zip(rows, jobs):
        message = _lost_job_message(job)
        if message:
            # Conditional on what was read: a row that moved on meanwhile is left alone.
            failed += Stylization.objects.filter(pk=pk, attempt=attempt, status=status).update(
                status=Stylization.Status.FAILED, error_message=message, finished_at=now
            )
    return failed


def _lost_job_message(job: Job | None) -> str | None:
    """Why an active row's job can no longer finish it, or None if the job is alive."""
    if job is None:
        return errors.QUEUE_LOST
    status = job.get_status(refresh=False)
    if status == JobStatus.FINISHED:  # ran, but could not write its outcome
        return errors.JOB_FAILED
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        return errors.WORKER_LOST
    return None


# Stylizations: the worker's side ------------------------------------------------------
#
# Two processes share a job: the RQ worker (stylizer.worker) hands it to its engine process,
# which runs `stylization_run`, and watches it with `stylization_watch` (heartbeat, cancel)
# and `stylization_settle` (whatever the engine process could not write because it died).


class _RunState:
    """The running job's link to its row: throttled progress writes and the stop signal."""

    def __init__(self, stylization: Stylization):
        self.pk = stylization.pk
        self.attempt = stylization.attempt
        self.stopped = threading.Event()
        self.losses: list[dict[str, float]] = []
        self.last_write = 0.0
        self.pending_preview = None
        self.preview_name = ""
        self.interruptible = False

    def mine(self):
        return Stylization.objects.filter(pk=self.pk, attempt=self.attempt, status=Stylization.Status.RUNNING)

    def write(self, **fields: Any) -> bool:
        """Update the row if it is still this attempt's and running; else ask the engine to stop."""
        if self.mine().update(heartbeat_at=timezone.now(), **fields):
            return True
        self.stopped.set()
        return False

    def progress(self, progress: Progress) -> None:
        self.interruptible = False  # never cut a database write or a file save short
        try:
            self._progress(progress)
        finally:
            self.interruptible = True

    def _progress(self, progress: Progress) -> None:
        self.losses.append({key: float(value) for key, value in progress.losses.items()})
        if progress.preview is not None:
            self.pending_preview = progress.preview
        now = time.monotonic()
        if now - self.last_write < settings.STYLIZER_PROGRESS_INTERVAL and progress.step < progress.total:
            return
        self.last_write = now
        fields: dict[str, Any] = {"step": progress.step, "total_steps": progress.total, "losses": self.losses}
        new_preview = ""
        if self.pending_preview is not None:
            preview = images.jpeg(self.pending_preview, name="preview.jpg")
            new_preview = _save_result_file(self.pk, self.attempt, preview)
            fields["preview"] = new_preview
            self.pending_preview = None
        if not self.write(**fields):
            # Cancelled or retried meanwhile: the row keeps the preview it points at.
            _delete_files(new_preview)
        elif new_preview:
            _delete_files(self.preview_name)
            self.preview_name = new_preview

    def on_stop_signal(self, signum, frame) -> None:
        """STOP_SIGNAL from the worker: stop now, even in the middle of a step.

        Steps are long (seconds at 1024 px on a CPU), so waiting for the engine's check
        between steps would keep a cancelled job running. The exception surfaces at the
        next Python instruction of the engine; the worker kills the process if a long
        native call keeps it from stopping within STYLIZER_CANCEL_GRACE.
        """
        self.stopped.set()
        if self.interruptible:
            self.interruptible = False
            raise Cancelled(len(self.losses), 0)


def stylization_run(*, stylization_id: str, attempt: int, device: str | None = None) -> None:
    """Run one attempt of a stylization: the body of the RQ job.

    Claims the row (queued -> running) only if it is still this attempt, so cancelled,
    retried or deleted rows are skipped. Progress and previews are written back while
    running; the outcome (result, cancellation or a failure with a message for the user
    and the traceback for staff) is written only if the row is still ours.
    """
    close_old_connections()
    now = timezone.now()
    claimed = Stylization.objects.filter(pk=stylization_id, attempt=attempt, status=Stylization.Status.QUEUED).update(
        status=Stylization.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        log.info("stylization %s attempt %s is no longer queued; skipped", stylization_id, attempt)
        return
    stylization = Stylization.objects.select_related("photo").get(pk=stylization_id)
    state = _RunState(stylization)
    outcome = _run_engine(stylization, state, device or settings.STYLIZER_DEVICE)
    if state.mine().update(finished_at=timezone.now(), losses=state.losses, **outcome):
        _delete_files(state.preview_name if "preview" in outcome else "")
    else:
        # Cancelled, retried or deleted meanwhile: keep what the row still points at (a
        # cancelled row shows its last preview) and delete the rest of this attempt's files.
        _discard_unreferenced_files(stylization_id, attempt)


def _run_engine(stylization: Stylization, state: _RunState, device: str) -> dict[str, Any]:
    """Run the engine; return the row's final fields (never raises for a job failure)."""
    params = params_from_json(stylization.params, device=device).replace(preview_every=settings.STYLIZER_PREVIEW_EVERY)
    cap = settings.STYLIZER_MAX_STEPS
    if cap and sum(stage.steps for stage in _plan(params)) > cap:
        params = params.replace(steps=cap)
    try:
        content = _open_stored(stylization.photo.image)
        styles = [_open_stored(link.style.image) for link in stylization.style_links.select_related("style")]
        with _stop_signal_interrupts(state):
            result = stylize(content, styles, params, progress=state.progress, should_stop=state.stopped.is_set)
    except Cancelled:
        return {"status": Stylization.Status.CANCELLED}
    except JobTimeoutException:
        return _failure(errors.JOB_TIMED_OUT.format(seconds=_time_limit(params)))
    except (EngineError, ParamsError) as exc:
        return _failure(str(exc))
    except Exception:
        log.exception("stylization %s failed", stylization.pk)
        return _failure(errors.JOB_FAILED)
    return {
        "status": Stylization.Status.SUCCEEDED,
        "result": _save_result_file(stylization.pk, stylization.attempt, images.png(result.image, name="result.png")),
        "preview": _save_result_file(
            stylization.pk, stylization.attempt, images.thumbnail(result.image, name="thumbnail.jpg")
        ),
        "run_seconds": result.seconds,
        "step": result.steps,
        "total_steps": result.steps,
    }


@contextlib.contextmanager
def _stop_signal_interrupts(state: _RunState) -> Iterator[None]:
    """While the engine runs, STOP_SIGNAL interrupts it (handlers live in the main thread only)."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(STOP_SIGNAL, state.on_stop_signal)
    state.interruptible = True
    try:
        yield
    finally:
        state.interruptible = False
        if previous is not None:
            signal.signal(STOP_SIGNAL, previous)


def _time_limit(params: StyleParams) -> int:
    """The limit RQ enforced on this job (the worker's settings may differ from the web's)."""
    job = get_current_job()
    return job.timeout if job is not None and job.timeout else job_timeout(params)


def _failure(message: str) -> dict[str, Any]:
    return {"status": Stylization.Status.FAILED, "error_message": message, "error_traceback": traceback.format_exc()}


def _open_stored(field) -> Any:
    with field.open("rb") as handle:
        return open_image(handle, name=field.name.rsplit("/", 1)[-1], max_pixels=images.max_pixels())


def stylization_watch(*, stylization_id: str, attempt: int, beat: bool) -> bool:
    """For the worker watching a job's process: is the row still that attempt's, queued or
    running? With `beat`, also write the row's heartbeat (the reaper's proof of life)."""
    rows = Stylization.objects.filter(pk=stylization_id, attempt=attempt)
    if beat and rows.filter(status=Stylization.Status.RUNNING).update(heartbeat_at=timezone.now()):
        return True
    return rows.filter(status__in=Stylization.ACTIVE_STATUSES).exists()


def stylization_settle(*, stylization_id: str, attempt: int, message: str, traceback_text: str = "") -> bool:
    """After a job's process has ended: fail the row if that attempt left it queued or
    running (the process died, or failed outside the engine), and delete the files that
    attempt wrote but the row does not reference. Returns whether the row was failed."""
    failed = Stylization.objects.filter(
        pk=stylization_id, attempt=attempt, status__in=Stylization.ACTIVE_STATUSES
    ).update(
        status=Stylization.Status.FAILED,
        error_message=message,
        error_traceback=traceback_text,
        finished_at=timezone.now(),
    )
    _discard_unreferenced_files(stylization_id, attempt)
    return bool(failed)


# Helpers -----------------------------------------------------------------------------


def _on_field(field: str, service: Callable[..., Any], **kwargs: Any) -> Any:
    """Call an upload service, reporting its image errors on the caller's form field."""
    try:
        return service(**kwargs)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "image" in exc.error_dict:
            raise ValidationError({field: exc.error_dict["image"]}) from exc
        raise


def _style_usable_by(style: Style, owner: AbstractBaseUser) -> bool:
    return (style.owner_id is None and style.is_active) or style.owner_id == owner.pk


def _lock_owner(owner: AbstractBaseUser) -> None:
    """Lock the owner's row until the transaction ends, so checks that count the owner's
    stylizations (job limit, idempotency key) see every earlier create committed."""
    get_user_model().objects.select_for_update().filter(pk=owner.pk).first()


def _queue():
    # commit_mode="auto": we already call this from on_commit, so enqueue at once and see
    # Redis errors here, instead of django-rq deferring again and returning None.
    return django_rq.get_queue(settings.RQ_QUEUE, commit_mode="auto")


def _enqueue(stylization: Stylization) -> None:
    """Put the row's job on the queue; if Redis is down, fail the row (retryable) and raise."""
    params = params_from_json(stylization.params)
    try:
        _queue().enqueue_call(
            JOB_FUNCTION,
            kwargs={"stylization_id": str(stylization.pk), "attempt": stylization.attempt},
            job_id=stylization.job_id,
            timeout=job_timeout(params),
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description=f"stylize {stylization.pk} attempt {stylization.attempt}",
        )
    except redis.RedisError as exc:
        log.error("could not enqueue %s: %s", stylization.job_id, exc)
        Stylization.objects.filter(
            pk=stylization.pk, attempt=stylization.attempt, status=Stylization.Status.QUEUED
        ).update(status=Stylization.Status.FAILED, error_message=errors.QUEUE_UNAVAILABLE, finished_at=timezone.now())
        raise errors.QueueUnavailable(stylization_id=stylization.pk) from exc


def _cancel_job(job_id: str) -> None:
    """Best effort: drop the job from Redis. The row already says cancelled, which is what counts."""
    try:
        queue = _queue()
        job = Job.fetch(job_id, connection=queue.connection)
        if job.get_status() == "queued":
            job.cancel()
    except Exception as exc:
        log.info("could not cancel job %s in Redis: %s", job_id, exc)


def _results_folder(stylization_id) -> str:
    return f"results/{stylization_id}"


def _save_result_file(stylization_id, attempt: int, content) -> str:
    """Save a file a job made, in the stylization's own folder, named after the attempt
    (`results/<id>/a2-preview.jpg`), so what a dead attempt left is easy to find."""
    return default_storage.save(f"{_results_folder(stylization_id)}/a{attempt}-{content.name}", content)


def _discard_unreferenced_files(stylization_id, attempt: int) -> None:
    """Delete the files of this attempt that its row does not point to (a killed job's)."""
    folder = _results_folder(stylization_id)
    try:
        _, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    row = Stylization.objects.filter(pk=stylization_id).values("preview", "result").first() or {}
    keep = {row.get("preview"), row.get("result")}
    _delete_files(
        *(f"{folder}/{name}" for name in names if name.startswith(f"a{attempt}-") and f"{folder}/{name}" not in keep)
    )
    _remove_empty_folder(folder)


def _remove_empty_folder(folder: str) -> None:
    # Not empty, already gone, or a storage without folders: nothing to do.
    with contextlib.suppress(OSError, NotImplementedError):
        os.rmdir(default_storage.path(folder))


def _delete_files(*names: str) -> None:
    for name in names:
        if name:
            default_storage.delete(name)
