"""Mail a stylization's outcome to its owner, once, if they asked for it (their Profile).

The worker side sends it when it settles the row: the job's own process right after it
writes the outcome (`stylizer.run`), the worker when it fails the row of an engine
process that died (`stylizer.watch`), and the reconciler's sweep for the rest (a dead
worker's row, failed by the reaper). Each attempt that succeeds or fails is claimed once, by a conditional
update of `notified_attempt`, so two workers, a rerun of the sweep or the job and the
sweep racing never mail twice; a cancel is never mailed (the user did it), and a retry is
a new attempt with its own mail. A mail that cannot be sent is logged, not retried: the
result page still says what happened.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.template.loader import render_to_string

from gallery.models import Profile, Stylization

log = logging.getLogger(__name__)

SETTLED = (Stylization.Status.SUCCEEDED, Stylization.Status.FAILED)
# Rows the sweep looks at per run; any left over wait for the next run.
SWEEP_BATCH = 100


def _unnotified():
    return Stylization.objects.filter(status__in=SETTLED, notified_attempt__lt=F("attempt"))


def stylization_notify(*, stylization_id, attempt: int) -> bool:
    """Mail this attempt's outcome if it is settled, unmailed and its owner opted in; True if sent."""
    claimed = _unnotified().filter(pk=stylization_id, attempt=attempt).update(notified_attempt=attempt)
    if not claimed:
        return False
    stylization = (
        Stylization.objects.select_related("owner").prefetch_related("style_links__style").get(pk=stylization_id)
    )
    owner = stylization.owner
    if not owner.email or not Profile.objects.filter(user=owner, notify_by_email=True).exists():
        return False
    context = {
        "user": owner,
        "stylization": stylization,
        "succeeded": stylization.status == Stylization.Status.SUCCEEDED,
        "styles": ", ".join(link.style.title for link in stylization.style_links.all()),
        "url": settings.SITE_URL + stylization.get_absolute_url(),
    }
    subject = render_to_string("gallery/email/stylization_done_subject.txt", context).strip()
    body = render_to_string("gallery/email/stylization_done.txt", context)
    try:
        send_mail(subject, body, None, [owner.email])
    except Exception:  # SMTP down or refusing: the page still shows the outcome
        log.exception("could not mail %s about stylization %s", owner.pk, stylization_id)
        return False
    return True


def stylization_notify_settled() -> int:
    """The sweep: mail every settled, unmailed attempt (the reconciler runs it); return how many."""
    sent = 0
    for pk, attempt in _unnotified().values_list("pk", "attempt")[:SWEEP_BATCH]:
        sent += stylization_notify(stylization_id=pk, attempt=attempt)
    return sent
