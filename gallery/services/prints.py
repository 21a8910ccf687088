"""Prints: a finished result continued to a large size (2048 or 4096 px on the long side).

A print is a stylization of its own (`print_of` is the result it continues): queued like
any job, with progress, its time left, cancel, retry and delete, and counted against the
job cap and the queued-compute quota. The worker starts from the finished result, upscaled,
and climbs the rest of the sqrt(2) ladder with the same styles, weights and seed, a few
steps per rung (`stylizer.engine.schedule.print_plan`): no restart from the palette.

A size is offered while some live worker makes it (`queue.print_sides_available`: workers
listen on the print queues of the sizes they can make, stylizer/capacity.py); a print is
enqueued on its size's queue. Deleting the source leaves its finished prints as they are;
a print still waiting for it then fails, saying so (and cannot be retried).
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError

from gallery import errors, quotas
from gallery.models import Stylization
from gallery.services.stylizations import stylization_create
from stylizer.engine.params import StyleParams


def print_create(*, owner: AbstractBaseUser, source: Stylization, side: int, idempotency_key: str = "") -> Stylization:
    """Queue a `side` px print of the owner's finished `source`. ValidationError says why a
    size is refused (not offered, not larger than the result, no live worker makes it);
    the job cap and the quotas raise as for any stylization."""
    if source.owner_id != owner.pk:
        raise ValidationError({"print": errors.PRINT_NOT_FINISHED})  # selectors 404 before this
    if source.status != Stylization.Status.SUCCEEDED or not source.result:
        raise ValidationError({"print": errors.PRINT_NOT_FINISHED})
    params = print_params(source, side)
    quotas.check_print_side(side, source=params.continue_from)
    styles = [(link.style, link.weight) for link in source.style_links.select_related("style")]
    return stylization_create(
        owner=owner,
        photo=source.photo,
        styles=styles,
        params=params,
        idempotency_key=idempotency_key,
        print_of=source,
    )


def print_params(source: Stylization, side: int) -> StyleParams:
    """The source's parameters (styles' weights, strength, seed...) continued to `side` px."""
    params = StyleParams.from_json(source.params)
    return params.replace(size=side, continue_from=params.size, steps=None)
