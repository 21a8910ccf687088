"""What one user may keep and ask for. The services check these on every way in (pages,
API, admin actions), for a create and for a retry alike; the limits are settings
(README, Configuration):

- photos kept: QUOTA_PHOTOS photos and QUOTA_PHOTO_MB megabytes (image and thumbnail);
- style images of one's own (private styles): QUOTA_PRIVATE_STYLES;
- jobs: STYLIZER_MAX_ACTIVE_JOBS queued or running at once, together needing at most
  QUOTA_QUEUED_WORK megapixel-steps of compute (`queued_work`);
- one request: at most STYLIZER_MAX_STYLES styles, a size no larger than STYLIZER_SIZES
  offers, and images the engine can paint at that size (`check_paintable`).

Everything here reads counts and sizes already known (rows, an upload's header), so a
refused request costs no image decoding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum

from gallery import errors
from gallery.models import Photo, Style, Stylization, stale_running
from gallery.services import queue
from stylizer.engine.params import StyleParams
from stylizer.engine.pixels import MIN_SIDE, fit_long_side

Size = tuple[int, int]


def check_photo_quota(owner: AbstractBaseUser, *, new_bytes: int | None = None) -> None:
    """Raise QuotaExceeded unless the owner may keep one more photo of `new_bytes` (before
    it is decoded, its size is unknown: then only a full quota refuses)."""
    used = Photo.objects.filter(owner=owner).aggregate(count=Count("pk"), bytes=Sum("stored_bytes"))
    if used["count"] >= settings.QUOTA_PHOTOS:
        raise errors.QuotaExceeded(errors.PHOTO_QUOTA.format(count=used["count"]))
    used_bytes, limit = used["bytes"] or 0, settings.QUOTA_PHOTO_MB * 2**20
    if used_bytes >= limit or used_bytes + (new_bytes or 0) > limit:
        message = errors.PHOTO_STORAGE_QUOTA.format(limit_mb=settings.QUOTA_PHOTO_MB, used_mb=used_bytes / 2**20)
        raise errors.QuotaExceeded(message)


def check_private_style_quota(owner: AbstractBaseUser) -> None:
    """Raise QuotaExceeded unless the owner may keep one more style image of their own."""
    count = Style.objects.filter(owner=owner).count()
    if count >= settings.QUOTA_PRIVATE_STYLES:
        raise errors.QuotaExceeded(errors.PRIVATE_STYLE_QUOTA.format(count=count))


def queued_work(params: dict[str, Any], photo: Size) -> float:
    """The compute a job asks for, in megapixel-steps: each stage's steps times its pixels (the
    photo's aspect kept), what a step costs in proportion to. `params` as stored on the row. A
    1024 px `standard` job on a 4:3 photo is 26; on a square one 34; `high` about doubles it,
    512 px about thirds it."""
    stages = StyleParams.from_json(params).stages()
    return sum(stage.steps * math.prod(fit_long_side(photo, stage.long_side)) for stage in stages) / 1e6


def check_capacity(owner: AbstractBaseUser, *, work: float) -> None:
    """Raise unless the owner may queue one more job of `work` megapixel-steps: JobLimitReached at
    STYLIZER_MAX_ACTIVE_JOBS, QueuedWorkLimitReached past QUOTA_QUEUED_WORK (a job alone always
    fits: the quota bounds what waits behind it). Call under the owner's lock."""
    limit = settings.STYLIZER_MAX_ACTIVE_JOBS
    active = Stylization.objects.filter(owner=owner, status__in=Stylization.ACTIVE_STATUSES).exclude(stale_running())
    rows = list(active.values_list("params", "photo__width", "photo__height"))
    if len(rows) >= limit:
        raise errors.JobLimitReached(limit)
    used = sum(queued_work(params, (width, height)) for params, width, height in rows)
    if rows and used + work > settings.QUOTA_QUEUED_WORK:
        message = errors.QUEUED_WORK_LIMIT.format(used=used, limit=settings.QUOTA_QUEUED_WORK, work=work)
        raise errors.QueuedWorkLimitReached(message)


def check_style_count(count: int) -> None:
    if count > settings.STYLIZER_MAX_STYLES:
        raise ValidationError({"styles": errors.TOO_MANY_STYLES.format(limit=settings.STYLIZER_MAX_STYLES)})


def check_size(params: StyleParams) -> None:
    """The size must be one the site offers today (STYLIZER_SIZES may have shrunk since a job was made);
    a print's, a print side (STYLIZER_PRINT_SIDES) larger than the result it continues that some
    live worker makes."""
    if params.continue_from:
        return check_print_side(params.size, source=params.continue_from)
    limit = max(settings.STYLIZER_SIZES)
    if params.size > limit:
        raise ValidationError({"params": errors.SIZE_NOT_OFFERED.format(size=params.size, limit=limit)})


def check_print_side(side: int, *, source: int) -> None:
    offered = settings.STYLIZER_PRINT_SIDES
    if not offered:
        raise ValidationError({"side": errors.PRINT_NONE_OFFERED})
    if side not in offered:
        sides = " or ".join(str(offered_side) for offered_side in offered)
        raise ValidationError({"side": errors.PRINT_SIDE_NOT_OFFERED.format(sides=sides, side=side)})
    if side <= source:
        raise ValidationError({"side": errors.PRINT_NOT_LARGER.format(source=source, side=side)})
    available = queue.print_sides_available()
    if side not in available:
        others = f" ({' and '.join(str(s) for s in available)} px can be made)" if available else ""
        raise ValidationError({"side": errors.PRINT_NO_WORKER.format(side=side, others=others)})


def check_paintable(params: StyleParams, *, photo: Size, styles: Sequence[tuple[str, Size]]) -> None:
    """Raise ValidationError unless every stage of the job leaves the photo and each style image
    (labelled for the message) MIN_SIDE px across, the least VGG-19 can take (engine/pixels.py).

    Uploads are refused beyond the aspect ratio that works at every size the form offers;
    this catches the API's smaller sizes (down to 16 px), where a wide photo becomes too thin.
    """
    images = [("the photo", photo, 1.0), *((label, size, params.style_scale) for label, size in styles)]

    def narrowest(size: int) -> tuple[int, str]:
        stages = params.replace(size=size).stages()
        return min(
            (min(fit_long_side(image, max(1, round(stage.long_side * scale)))), label)
            for stage in stages
            for label, image, scale in images
        )

    side, what = narrowest(params.size)
    if side >= MIN_SIDE:
        return
    candidates = range(params.size + 1, max(settings.STYLIZER_SIZES) + 1)
    needed = next((size for size in candidates if narrowest(size)[0] >= MIN_SIDE), None)
    template = errors.TOO_NARROW_AT_SIZE if needed else errors.TOO_NARROW_AT_ANY_SIZE
    message = template.format(size=params.size, what=what, side=side, min_side=MIN_SIDE, needed=needed)
    raise ValidationError({"params": message})
