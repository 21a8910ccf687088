"""The gallery's tables. Lean on purpose: behaviour lives in services and selectors.

Every primary key is a UUID, so no URL reveals or lets anyone guess another row, and
every image file is named by a fresh UUID under MEDIA_ROOT, served only by views that
check ownership.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


def _image_path(folder: str, instance: models.Model, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"{folder}/{uuid.uuid4().hex}.{suffix}"


def photo_path(instance: models.Model, filename: str) -> str:
    return _image_path("photos", instance, filename)


def style_path(instance: models.Model, filename: str) -> str:
    return _image_path("styles", instance, filename)


def thumbnail_path(instance: models.Model, filename: str) -> str:
    return _image_path("thumbnails", instance, filename)


def result_path(instance: models.Model, filename: str) -> str:
    return _image_path("results", instance, filename)


def example_path(instance: models.Model, filename: str) -> str:
    return _image_path("examples", instance, filename)


class Photo(models.Model):
    """A content image a user uploaded, re-encoded without metadata."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=thumbnail_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    original_name = models.CharField(max_length=255, blank=True)
    stored_bytes = models.PositiveBigIntegerField(
        default=0, help_text="Bytes on disk (image and thumbnail), counted against the owner's quota."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name or str(self.id)


class StyleQuerySet(models.QuerySet):
    def curated(self) -> StyleQuerySet:
        return self.filter(owner__isnull=True)

    def active(self) -> StyleQuerySet:
        return self.curated().filter(is_active=True)


class Style(models.Model):
    """A style image: curated (no owner, managed by staff) or private to one user."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="private_styles",
        help_text="Empty for curated styles; set for a user's private style image.",
    )
    title = models.CharField(max_length=200)
    artist = models.CharField(max_length=200, blank=True)
    year = models.CharField(max_length=32, blank=True, help_text='Free text, e.g. "1889" or "c. 1641".')
    image = models.ImageField(upload_to=style_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=thumbnail_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True, help_text="Shown in the catalogue and offered in the form.")
    position = models.PositiveIntegerField(default=0, help_text="Catalogue order, smallest first.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StyleQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_curated(self) -> bool:
        return self.owner_id is None


def stale_running(now: datetime | None = None) -> models.Q:
    """The one definition of a stale row: running, and silent (no heartbeat, or none since it
    started) for STYLIZER_STALE_AFTER seconds. Its worker is gone: reads show it as failed
    (`selectors`), and the reaper (`stylizer.reconcile`) is the only one that writes it so."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.STYLIZER_STALE_AFTER)
    silent = models.Q(heartbeat_at__lt=cutoff) | models.Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    return models.Q(status=Stylization.Status.RUNNING) & silent


class Stylization(models.Model):
    """One request to paint a photo in one or more styles, and everything it produced.

    This row, not Redis, is the source of truth for the job's state: the worker only
    writes while `status` is RUNNING and the attempt is its own, so a cancel or a
    reaper's verdict always wins.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    # Not stored: services.stylization_create sets it on the row it returns for a repeated
    # idempotency key, so callers can tell a replay from a new stylization.
    replayed = False

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)
    FINISHED_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)
    RETRYABLE_STATUSES = (Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stylizations")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="stylizations")
    styles = models.ManyToManyField(Style, through="StylizationStyle", related_name="stylizations")
    params = models.JSONField(help_text="The engine's StyleParams as stored (dataclasses.asdict), device excluded.")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempt = models.PositiveIntegerField(default=1, help_text="Bumped by each retry; part of the RQ job id.")
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    losses = models.JSONField(default=list, blank=True, help_text="Per-step loss dicts, for the chart.")
    preview = models.ImageField(upload_to=result_path, blank=True)
    result = models.ImageField(upload_to=result_path, blank=True)
    error_message = models.TextField(blank=True, help_text="Shown to the user.")
    error_traceback = models.TextField(blank=True, help_text="For staff only.")
    run_seconds = models.FloatField(null=True, blank=True, help_text="Engine wall time of the successful run.")
    eta_at = models.DateTimeField(
        null=True, blank=True, help_text="While running: when the worker expects to finish (gallery.eta)."
    )
    notified_attempt = models.PositiveIntegerField(
        default=0, help_text="The last attempt whose outcome was mailed (or had nobody to mail): one mail each."
    )
    idempotency_key = models.CharField(
        max_length=255,
        blank=True,
        default="",
        help_text="The client's Idempotency-Key (API header, or the create form's token): "
        "a repeated request with the same key gets this row instead of a second job.",
    )

    # A remix starts from an earlier result, as its photo or as a style (gallery/remix.py).
    remix_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="remixes",
        help_text="The result this one started from (kept as long as that result exists).",
    )
    # "One result each": the set of stylizations one request made, one per style (gallery/services/batches.py).
    batch = models.ForeignKey("Batch", on_delete=models.SET_NULL, null=True, blank=True, related_name="stylizations")
    remix_as = models.CharField(
        max_length=8, blank=True, choices=[("photo", "as the photo"), ("style", "as a style")], default=""
    )

    # A print continues a finished result to a large size (gallery/services/prints.py).
    print_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="prints",
        help_text="The result this print continues (kept as long as that result exists).",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="one_stylization_per_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.photo} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("gallery:stylization_detail", args=[self.pk])

    @property
    def job_id(self) -> str:
        """The RQ job id: derived from the row so it can be found, cancelled and never doubled."""
        return self.job_id_for(self.id, self.attempt)

    @staticmethod
    def job_id_for(stylization_id, attempt: int) -> str:
        return f"stylization-{stylization_id}-{attempt}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_retryable(self) -> bool:
        return self.status in self.RETRYABLE_STATUSES

    @property
    def print_side(self) -> int | None:
        """A print's long side (its source may be gone); None for an ordinary stylization."""
        return self.params.get("size") if self.params.get("continue_from") else None


class StylizationStyle(models.Model):
    """A style used by a stylization and its blend weight (weights are normalised by the engine)."""

    stylization = models.ForeignKey(Stylization, on_delete=models.CASCADE, related_name="style_links")
    style = models.ForeignKey(Style, on_delete=models.PROTECT, related_name="+")
    weight = models.FloatField(default=1.0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["stylization", "style"], name="unique_style_per_stylization")]

    def __str__(self) -> str:
        return f"{self.style} × {self.weight:g}"


class ShareLink(models.Model):
    """A revocable public link to one succeeded stylization's result (`/s/<token>/`).

    The token is the only credential: anyone holding it sees the result and the paintings'
    titles, nothing else of the owner's (no photo, no ids). Revoking deletes the row, so the
    link is a 404 from then on. At most one link per stylization: sharing again returns it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_links")
    stylization = models.OneToOneField(Stylization, on_delete=models.CASCADE, related_name="share_link")
    token = models.CharField(max_length=64, unique=True, editable=False)
    public = models.BooleanField(default=False, help_text="The owner lists it in the public gallery (/explore/).")
    hidden = models.BooleanField(default=False, help_text="Staff: keep it out of the public gallery.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Share of {self.stylization}"

    def get_absolute_url(self) -> str:
        return reverse("gallery:share_page", args=[self.token])


class Example(models.Model):
    """A before/after pair on the landing page: the starter photo painted by the engine in a
    curated style, made at install (`manage.py make_examples`), public like the catalogue."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    style = models.OneToOneField(Style, on_delete=models.CASCADE, related_name="example")
    photo = models.ImageField(upload_to=example_path, width_field="width", height_field="height")
    result = models.ImageField(upload_to=example_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    run_seconds = models.FloatField(help_text="Engine wall time, as measured when it was made.")
    params = models.JSONField(help_text="The engine's StyleParams it was made with (size, steps, seed).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["style__position", "style__title"]

    def __str__(self) -> str:
        return f"Example in {self.style}"


class Batch(models.Model):
    """One photo in many styles: the stylizations one request made, one result per style,
    shown together with a contact sheet. Each counts against the job cap and quotas."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="batches")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="batches")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return f"{self.photo} in {self.stylizations.count()} styles"

    def get_absolute_url(self) -> str:
        return reverse("gallery:batch_detail", args=[self.pk])


class Profile(models.Model):
    """A user's settings on this site (created on first use: `Profile.of(user)`)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    notify_by_email = models.BooleanField(
        default=False, help_text="E-mail the user when a stylization of theirs succeeds or fails."
    )

    def __str__(self) -> str:
        return f"settings of {self.user}"

    @classmethod
    def of(cls, user) -> Profile:
        return cls.objects.get_or_create(user=user)[0]
