"""Reads for prints (gallery/services/prints.py makes them): which sizes a result can be
printed at now, what each costs, and what a page shows of a print's origin."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser

from gallery import errors, eta, quotas
from gallery.models import Stylization
from gallery.services.prints import print_params
from gallery.services.queue import print_queue_name, print_sides_available
from stylizer.engine.params import StyleParams


def print_sizes(*, source: Stylization) -> list[dict]:
    """Each print side the site offers for `source`: `available` (it can be ordered now) or the
    `reason` why not; `side_reason` leaves out "not finished yet" (what the result page shows
    while the job runs); `work` in megapixel-steps (the queued-compute quota's unit) and
    `estimate_seconds` from the workers' measured speeds (null before any has measured)."""
    finished = source.status == Stylization.Status.SUCCEEDED and bool(source.result)
    available = print_sides_available()
    size = StyleParams.from_json(source.params).size
    photo = (source.photo.width, source.photo.height)
    speeds = list(eta.speeds_load().values())
    sizes = []
    for side in settings.STYLIZER_PRINT_SIDES:
        if side <= size:
            side_reason = errors.PRINT_NOT_LARGER.format(source=size, side=side)
        elif side not in available:
            side_reason = errors.PRINT_NO_WORKER.format(side=side, others="")
        else:
            side_reason = ""
        stages = eta.plan(print_params(source, side), photo)
        seconds = sum(speed.job_seconds(stages) for speed in speeds) / len(speeds) if speeds else None
        sizes.append(
            {
                "side": side,
                "available": finished and not side_reason,
                "reason": side_reason or ("" if finished else errors.PRINT_NOT_FINISHED),
                "side_reason": side_reason,
                "queue": print_queue_name(side),
                "work": round(quotas.queued_work(print_params(source, side).to_json(), photo), 1),
                "estimate_seconds": round(seconds) if seconds is not None else None,
                "estimate_text": eta.describe(round(seconds)).replace(" left", "") if seconds is not None else "",
            }
        )
    return sizes


def print_origin(stylization: Stylization, *, fetched_by: AbstractBaseUser) -> dict | None:
    """For a print: its side and the result it continues (None once that was deleted)."""
    side = stylization.print_side
    if not side:
        return None
    source = stylization.print_of
    mine = source is not None and (source.owner_id == fetched_by.pk or fetched_by.is_staff)
    return {"side": side, "source": source if mine else None}
