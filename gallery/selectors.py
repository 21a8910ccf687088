"""Every read that decides what a user may see. Ownership is enforced here, once.

Each selector takes `fetched_by`: owners see their own rows, staff see everyone's, and
anyone else gets `Http404` (never 403), so a stranger cannot tell a row exists.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet
from django.db.models.query import ModelIterable
from django.http import Http404

from gallery import errors
from gallery.models import (
    Batch,
    Example,
    Photo,
    Profile,
    ShareLink,
    Style,
    Stylization,
    StylizationStyle,
    stale_running,
)


def _visible(queryset: QuerySet, fetched_by: AbstractBaseUser) -> QuerySet:
    if not fetched_by.is_authenticated:
        return queryset.none()
    if fetched_by.is_staff:
        return queryset
    return queryset.filter(owner=fetched_by)


def _get(queryset: QuerySet, pk: UUID | str):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:  # bad UUID: 404 too
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.") from exc


# Accounts ----------------------------------------------------------------------------


def profile_get(*, fetched_by: AbstractBaseUser) -> Profile:
    """The signed-in user's settings (the defaults, unsaved, until they first change one)."""
    return Profile.objects.filter(user=fetched_by).first() or Profile(user=fetched_by)


# Photos ------------------------------------------------------------------------------


def photo_list(*, fetched_by: AbstractBaseUser) -> QuerySet[Photo]:
    """The user's own photos, newest first (staff too see only their own here)."""
    return Photo.objects.filter(owner=fetched_by) if fetched_by.is_authenticated else Photo.objects.none()


def photo_get(*, fetched_by: AbstractBaseUser, photo_id: UUID | str) -> Photo:
    return _get(_visible(Photo.objects.all(), fetched_by), photo_id)


# Styles ------------------------------------------------------------------------------


def style_list_active() -> QuerySet[Style]:
    """The curated catalogue: active styles in staff's order."""
    return Style.objects.active()


def style_list_catalogue(*, fetched_by: AbstractBaseUser) -> QuerySet[Style]:
    """The curated styles a user may browse: the active ones, and for staff the inactive ones too."""
    return Style.objects.curated() if fetched_by.is_staff else Style.objects.active()


def style_list_usable(*, fetched_by: AbstractBaseUser) -> QuerySet[Style]:
    """The styles a user may stylize with: active curated ones and their own private ones."""
    if not fetched_by.is_authenticated:
        return Style.objects.none()
    return Style.objects.filter(Q(owner__isnull=True, is_active=True) | Q(owner=fetched_by))


def style_get(*, fetched_by: AbstractBaseUser, style_id: UUID | str) -> Style:
    """A curated active style for anyone signed in; a private one for its owner; any for staff."""
    if not fetched_by.is_authenticated:
        raise Http404("No style matches the given query.")
    styles = Style.objects.all()
    if not fetched_by.is_staff:
        styles = styles.filter(Q(owner__isnull=True, is_active=True) | Q(owner=fetched_by))
    return _get(styles, style_id)


def style_get_image_source(*, fetched_by: AbstractBaseUser, style_id: UUID | str) -> Style:
    """A style whose picture the user may see: the public catalogue (even signed out),
    their own private styles, and any style their stylizations used (it may have been
    deactivated since); staff see all."""
    styles = Style.objects.all()
    if not fetched_by.is_staff:
        visible = Q(owner__isnull=True, is_active=True)
        if fetched_by.is_authenticated:
            visible |= Q(owner=fetched_by) | Q(stylizations__owner=fetched_by)
        styles = styles.filter(visible).distinct()
    return _get(styles, style_id)


# Stylizations ------------------------------------------------------------------------


class _StaleReadsAsFailed(ModelIterable):
    """Rows as a user should see them: a running row whose worker is gone (`stale_running`)
    reads as failed at once, with the reaper's message, even if no worker is left to reap it.
    Nothing is written: the reaper (stylizer.reconcile) writes the same verdict later."""

    def __iter__(self):
        for stylization in super().__iter__():
            if stylization.reads_stale:
                stylization.status = Stylization.Status.FAILED
                stylization.error_message = errors.WORKER_LOST
                stylization.finished_at = stylization.heartbeat_at or stylization.started_at
            yield stylization


def _as_seen(queryset: QuerySet[Stylization]) -> QuerySet[Stylization]:
    queryset = queryset.annotate(reads_stale=ExpressionWrapper(stale_running(), output_field=BooleanField()))
    queryset._iterable_class = _StaleReadsAsFailed
    return queryset


def _with_related(queryset: QuerySet[Stylization]) -> QuerySet[Stylization]:
    related = queryset.prefetch_related(
        Prefetch("style_links", queryset=StylizationStyle.objects.select_related("style"))
    )
    return _as_seen(related)


def stylization_list(*, fetched_by: AbstractBaseUser, status: str | None = None) -> QuerySet[Stylization]:
    """The user's own stylizations, newest first, optionally of one status."""
    if not fetched_by.is_authenticated:
        return Stylization.objects.none()
    stylizations = _with_related(Stylization.objects.filter(owner=fetched_by))
    if status:
        stylizations = stylizations.filter(_reads_as(status))
    return stylizations.order_by("-created_at")


def stylization_get(*, fetched_by: AbstractBaseUser, stylization_id: UUID | str) -> Stylization:
    return _get(_with_related(_visible(Stylization.objects.all(), fetched_by)), stylization_id)


def _reads_as(status: str) -> Q:
    """The rows that read as `status`: a stale running row reads as failed, not running."""
    if status == Stylization.Status.FAILED:
        return Q(status=status) | stale_running()
    if status == Stylization.Status.RUNNING:
        return Q(status=status) & ~stale_running()
    return Q(status=status)


def stylization_queue_position(*, stylization: Stylization) -> int | None:
    """1 for the next job a worker will take, 2 for the one after...; None unless queued."""
    if stylization.status != Stylization.Status.QUEUED or stylization.queued_at is None:
        return None
    ahead = Stylization.objects.filter(status=Stylization.Status.QUEUED).filter(
        Q(queued_at__lt=stylization.queued_at) | Q(queued_at=stylization.queued_at, pk__lt=stylization.pk)
    )
    return ahead.count() + 1


def stylization_count_active(*, fetched_by: AbstractBaseUser) -> int:
    active = Stylization.objects.filter(owner=fetched_by, status__in=Stylization.ACTIVE_STATUSES)
    return active.exclude(stale_running()).count()


# Share links ---------------------------------------------------------------------------


def _shares() -> QuerySet[ShareLink]:
    links = Prefetch("stylization__style_links", queryset=StylizationStyle.objects.select_related("style"))
    return ShareLink.objects.select_related("stylization").prefetch_related(links)


def share_list(*, fetched_by: AbstractBaseUser) -> QuerySet[ShareLink]:
    """The user's own share links, newest first (staff too see only their own here)."""
    if not fetched_by.is_authenticated:
        return ShareLink.objects.none()
    return _shares().filter(owner=fetched_by)


def share_get(*, fetched_by: AbstractBaseUser, share_id: UUID | str) -> ShareLink:
    """A share link to manage (change, revoke): its owner's, or any for staff."""
    return _get(_visible(_shares(), fetched_by), share_id)


def share_get_by_token(*, token: str) -> ShareLink:
    """The shared result behind a token, for anyone holding it (signed in or not); 404 once revoked."""
    try:
        return _shares().get(token=token)
    except ShareLink.DoesNotExist as exc:
        raise Http404("No shared result at this link; it may have been revoked.") from exc


def share_list_public() -> QuerySet[ShareLink]:
    """The public gallery: results their owners listed, minus those staff hid, newest first."""
    return _shares().filter(public=True, hidden=False).order_by("-created_at")


# The landing page's examples ---------------------------------------------------------------


def example_list() -> QuerySet[Example]:
    """The examples of the active curated styles, in catalogue order: public like the catalogue."""
    return Example.objects.filter(style__owner__isnull=True, style__is_active=True).select_related("style")


def example_get(*, example_id: UUID | str) -> Example:
    return _get(example_list(), example_id)


# Batches (one photo in many styles) ------------------------------------------------------


def _batches() -> QuerySet[Batch]:
    members = Prefetch("stylizations", queryset=_with_related(Stylization.objects.order_by("created_at")))
    return Batch.objects.select_related("photo").prefetch_related(members)


def batch_list(*, fetched_by: AbstractBaseUser) -> QuerySet[Batch]:
    """The user's own batches, newest first."""
    if not fetched_by.is_authenticated:
        return Batch.objects.none()
    return _batches().filter(owner=fetched_by)


def batch_get(*, fetched_by: AbstractBaseUser, batch_id: UUID | str) -> Batch:
    return _get(_visible(_batches(), fetched_by), batch_id)
