"""Everything that changes gallery data. Views (pages and API), the admin, management
commands and the RQ job call these functions; nothing else writes.

Input errors raise `ValidationError` with a field dict; refused actions raise the
classes in `gallery.errors`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import IO, Any

import django_rq
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rq.job import Job
from rq.timeouts import JobTimeoutException

from gallery import errors, images
from gallery.models import Photo, Style, Stylization, StylizationStyle
from stylizer.engine import Cancelled, EngineError, Progress, StyleParams, open_image, stylize
from stylizer.engine.params import ParamsError, validate
from stylizer.engine.schedule import plan

log = logging.getLogger(__name__)

JOB_FUNCTION = "stylizer.jobs.run_stylization"
# Wall time of one optimizer step at 512 px, with headroom: the README benchmark measured
# about 3.2 s on a 2-core CPU with nothing else running, and a busy worker machine is
# slower. The job timeout scales it by each stage's pixels so big and high-quality jobs
# get proportionally longer; it only bounds a stuck job, so generous costs nothing.
SECONDS_PER_STEP_AT_512 = 8.0
JOB_TIMEOUT_BASE = 180


# API tokens --------------------------------------------------------------------------


def auth_token_get_or_create(*, user: AbstractBaseUser) -> Token:
    """The user's API token, created on first use (one per user, as DRF's token auth has it)."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


def auth_token_revoke(*, user: AbstractBaseUser) -> None:
    """Delete the user's API token; clients using it get 401 until they obtain a new one."""
    Token.objects.filter(user=user).delete()


# Photos ------------------------------------------------------------------------------


def photo_create(*, owner: AbstractBaseUser, file: IO[bytes]) -> Photo:
    """Store an uploaded photo, upright and without metadata, with its thumbnail."""
    name = getattr(file, "name", None) or "photo"
    clean = images.clean_upload(file, name=name, field="image")
    photo = Photo(owner=owner, original_name=name[:255])
    photo.image.save(clean.image.name, clean.image, save=False)
    photo.thumbnail.save(clean.thumbnail.name, clean.thumbnail, save=False)
    try:
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
    """Add a style: curated when `owner` is None, else private to that user."""
    name = getattr(file, "name", None) or "style"
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
    return plan(params.size, params.preset, params.steps, params.multiscale)


def job_timeout(params: StyleParams) -> int:
    """Seconds RQ allows the job: a base plus a per-step cost scaled by each stage's pixels."""
    work = sum(stage.steps * (stage.long_side / 512) ** 2 for stage in _plan(params))
    seconds = JOB_TIMEOUT_BASE + work * SECONDS_PER_STEP_AT_512 * settings.STYLIZER_JOB_TIMEOUT_SCALE
    return math.ceil(seconds)


# Stylizations: lifecycle -------------------------------------------------------------


def stylization_create(
    *,
    owner: AbstractBaseUser,
    photo: Photo,
    styles: Sequence[tuple[Style, float]],
    params: StyleParams | None = None,
) -> Stylization:
    """Create a stylization and queue its job once the row is committed.

    `styles` pairs each style (curated and active, or the owner's private one) with a
    positive blend weight. Raises ValidationError for bad input, JobLimitReached when
    the owner already has STYLIZER_MAX_ACTIVE_JOBS queued or running, and
    QueueUnavailable when Redis cannot take the job (the row is then marked failed
    and can be retried). Inside an outer transaction the enqueue, and so a
    QueueUnavailable, happens when that transaction commits.
    """
    params = params or StyleParams()
    if photo.owner_id != owner.pk:
        raise ValidationError({"photo": errors.PHOTO_NOT_AVAILABLE})
    if not styles:
        raise ValidationError({"styles": errors.NO_STYLES})
    for style, weight in styles:
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

    with transaction.atomic():
        _check_job_limit(owner)
        stylization = Stylization.objects.create(
            owner=owner, photo=photo, params=params_to_json(params), queued_at=timezone.now()
        )
        StylizationStyle.objects.bulk_create(
            StylizationStyle(stylization=stylization, style=style, weight=weight, position=index)
            for index, (style, weight) in enumerate(styles)
        )
        transaction.on_commit(lambda: _enqueue(stylization))
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
) -> Stylization:
    """The create form's path: a new photo and/or a private style image in the same request.

    All or nothing: if anything is refused, the uploads are not kept. Errors on the
    uploads are reported on the `photo_file` and `style_file` fields.
    """
    created: list[Photo | Style] = []
    try:
        with transaction.atomic():
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
            return stylization_create(owner=owner, photo=photo, styles=styles, params=params)
    except errors.QueueUnavailable:
        raise  # raised after the commit: the uploads and the (failed, retryable) row are kept
    except Exception:
        _delete_files(*(name for row in created for name in (row.image.name, row.thumbnail.name)))
        raise


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
    """Queue a failed or cancelled stylization again, as a new attempt with the same inputs."""
    with transaction.atomic():
        _check_job_limit(stylization.owner)
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
    """Delete a stylization (cancelling it first if active), its files and its private styles."""
    if stylization.is_active:
        Stylization.objects.filter(pk=stylization.pk).update(status=Stylization.Status.CANCELLED)
        job_id = stylization.job_id
        transaction.on_commit(lambda: _cancel_job(job_id))
    private_styles = list(Style.objects.filter(stylizations=stylization, owner__isnull=False))
    files = [stylization.preview.name, stylization.result.name]
    stylization.delete()
    for style in private_styles:
        if not StylizationStyle.objects.filter(style=style).exists():
            files += [style.image.name, style.thumbnail.name]
            style.delete()
    transaction.on_commit(lambda: _delete_files(*files))


def stylization_reap_stale(*, now: datetime | None = None) -> int:
    """Fail running rows whose worker stopped sending heartbeats; return how many.

    A worker killed mid-job (OOM, SIGKILL, machine gone) cannot say so; its row would
    stay "running" forever. Workers beat every STYLIZER_HEARTBEAT_INTERVAL seconds, so
    a row silent for STYLIZER_STALE_AFTER seconds has lost its worker.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.STYLIZER_STALE_AFTER)
    return (
        Stylization.objects.filter(status=Stylization.Status.RUNNING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
        .update(status=Stylization.Status.FAILED, error_message=errors.WORKER_LOST, finished_at=now)
    )


def stylization_enqueue_orphans() -> int:
    """Put back on the queue the queued rows whose job Redis no longer has.

    The embedded Redis keeps nothing across restarts; the rows do. Job ids are derived
    from the rows, so this never doubles a job that is still there.
    """
    queue = _queue()
    count = 0
    for stylization in Stylization.objects.filter(status=Stylization.Status.QUEUED).order_by("queued_at"):
        if Job.exists(stylization.job_id, connection=queue.connection):
            continue
        _enqueue(stylization)
        count += 1
    return count


# Stylizations: the worker's side ------------------------------------------------------


class _RunState:
    """The running job's link to its row: throttled progress writes and a heartbeat."""

    def __init__(self, stylization: Stylization):
        self.pk = stylization.pk
        self.attempt = stylization.attempt
        self.stopped = threading.Event()
        self.losses: list[dict[str, float]] = []
        self.last_write = 0.0
        self.pending_preview = None
        self.preview_name = ""
        self._beat = threading.Thread(target=self._heartbeat, name=f"heartbeat-{self.pk}", daemon=True)
        self._done = threading.Event()

    def mine(self):
        return Stylization.objects.filter(pk=self.pk, attempt=self.attempt, status=Stylization.Status.RUNNING)

    def write(self, **fields: Any) -> None:
        """Update the row if it is still this attempt's and running; else ask the engine to stop."""
        if not self.mine().update(heartbeat_at=timezone.now(), **fields):
            self.stopped.set()

    def progress(self, progress: Progress) -> None:
        self.losses.append({key: float(value) for key, value in progress.losses.items()})
        if progress.preview is not None:
            self.pending_preview = progress.preview
        now = time.monotonic()
        if now - self.last_write < settings.STYLIZER_PROGRESS_INTERVAL and progress.step < progress.total:
            return
        self.last_write = now
        fields: dict[str, Any] = {"step": progress.step, "total_steps": progress.total, "losses": self.losses}
        old_preview = None
        if self.pending_preview is not None:
            old_preview, self.preview_name = (
                self.preview_name,
                _save_file(images.jpeg(self.pending_preview, name=f"{self.pk}-preview.jpg")),
            )
            fields["preview"] = self.preview_name
            self.pending_preview = None
        self.write(**fields)
        _delete_files(old_preview or "")

    def start_heartbeat(self) -> None:
        self._beat.start()

    def stop_heartbeat(self) -> None:
        self._done.set()
        self._beat.join()

    def _heartbeat(self) -> None:
        try:
            while not self._done.wait(settings.STYLIZER_HEARTBEAT_INTERVAL):
                self.write()
        finally:
            connection.close()


def stylization_run(*, stylization_id: str, attempt: int, device: str | None = None) -> None:
    """Run one attempt of a stylization: the body of the RQ job.

    Claims the row (queued -> running) only if it is still this attempt, so cancelled,
    retried or deleted rows are skipped. Progress, previews and heartbeats are written
    back while running; the outcome (result, cancellation or a failure with a message
    for the user and the traceback for staff) is written only if the row is still ours.
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
    state.start_heartbeat()
    try:
        outcome = _run_engine(stylization, state, device or settings.STYLIZER_DEVICE)
    finally:
        state.stop_heartbeat()
    if state.mine().update(finished_at=timezone.now(), losses=state.losses, **outcome):
        leftovers = [state.preview_name] if "preview" in outcome else []
    else:  # cancelled, retried or deleted meanwhile: the files just made are nobody's
        leftovers = [outcome.get("result", ""), outcome.get("preview", "")]
    _delete_files(*leftovers)


def _run_engine(stylization: Stylization, state: _RunState, device: str) -> dict[str, Any]:
    """Run the engine; return the row's final fields (never raises for a job failure)."""
    params = params_from_json(stylization.params, device=device).replace(preview_every=settings.STYLIZER_PREVIEW_EVERY)
    cap = settings.STYLIZER_MAX_STEPS
    if cap and sum(stage.steps for stage in _plan(params)) > cap:
        params = params.replace(steps=cap)
    try:
        content = _open_stored(stylization.photo.image)
        styles = [_open_stored(link.style.image) for link in stylization.style_links.select_related("style")]
        result = stylize(content, styles, params, progress=state.progress, should_stop=state.stopped.is_set)
    except Cancelled:
        return {"status": Stylization.Status.CANCELLED}
    except JobTimeoutException:
        message = errors.JOB_TIMED_OUT.format(seconds=job_timeout(params))
        return _failure(message)
    except (EngineError, ParamsError) as exc:
        return _failure(str(exc))
    except Exception:
        log.exception("stylization %s failed", stylization.pk)
        return _failure(errors.JOB_FAILED)
    return {
        "status": Stylization.Status.SUCCEEDED,
        "result": _save_file(images.png(result.image, name=f"{stylization.pk}.png")),
        "preview": _save_file(images.thumbnail(result.image, name=f"{stylization.pk}-thumbnail.jpg")),
        "run_seconds": result.seconds,
        "step": result.steps,
        "total_steps": result.steps,
    }


def _failure(message: str) -> dict[str, Any]:
    return {"status": Stylization.Status.FAILED, "error_message": message, "error_traceback": traceback.format_exc()}


def _open_stored(field) -> Any:
    with field.open("rb") as handle:
        return open_image(handle, name=field.name.rsplit("/", 1)[-1])


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


def _check_job_limit(owner: AbstractBaseUser) -> None:
    """Raise JobLimitReached if the owner has too many active jobs (row lock serialises checks)."""
    get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
    limit = settings.STYLIZER_MAX_ACTIVE_JOBS
    active = Stylization.objects.filter(owner=owner, status__in=Stylization.ACTIVE_STATUSES).count()
    if active >= limit:
        raise errors.JobLimitReached(limit)


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


def _save_file(content) -> str:
    return default_storage.save(f"results/{content.name}", content)


def _delete_files(*names: str) -> None:
    for name in names:
        if name:
            default_storage.delete(name)
