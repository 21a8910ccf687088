"""The site's own error answers: a page in the site's look, or JSON in the API's error shape
for requests under /api/.

- 400 `bad_request` (handler400): the reason when it is ours to tell (an unsafe file name).
- 403 `csrf_failure` (CSRF_FAILURE_VIEW): nothing was changed; reload and try again.
- 413 `request_too_large` (from nstsite.middleware.RequestSizeLimitMiddleware).
- 500 `server_error` (handler500): an unexpected error; under /api/ it is JSON too.
- 429 `login_locked` (django-axes' AXES_LOCKOUT_CALLABLE): log-in is locked, and until when.
- 429 `throttled` (gallery.ratelimit): too many uploads, creates, sign-ups or failed log-ins
  in a short time, and when to try again.
- 503 `queue_unreachable` (from nstsite.middleware.QueueOutageMiddleware): a page that
  needs Redis (the RQ dashboard) while it is down.
"""

from __future__ import annotations

import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

from gallery import errors
from gallery.api.exceptions import body

API_PREFIX = "/api/"  # where nstsite.urls mounts the REST API


def _error(
    request: HttpRequest, *, status: int, code: str, title: str, message: str, offer_reset: bool = False
) -> HttpResponse:
    """`offer_reset`: the page also links to the password reset (a locked log-in)."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(body(code=code, detail=message), status=status)
    context = {"title": title, "message": message, "back_url": _back_url(request), "offer_reset": offer_reset}
    return render(request, "error.html", context, status=status)


def _back_url(request: HttpRequest) -> str:
    """The page the user came from, when it is one of ours; else the home page."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        ours = url_has_allowed_host_and_scheme(referer, {request.get_host()}, require_https=request.is_secure())
    except DisallowedHost:  # the 400 for a request to a host we do not serve
        ours = False
    return referer if referer and ours else reverse("gallery:home")


@requires_csrf_token  # the page's own forms (log out) need a token even though the check never ran
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Only our own messages are shown; others may say more than a stranger should read.
    message = str(exception) if isinstance(exception, errors.UnsafeFileName) else errors.BAD_REQUEST
    return _error(request, status=400, code="parse_error", title="That request could not be used", message=message)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(request, status=403, code="csrf_failed", title="Please try again", message=errors.CSRF_FAILED)


def request_too_large(request: HttpRequest, *, size: int, upload: bool) -> HttpResponse:
    if upload:
        title = "That upload is too large"
        message = errors.REQUEST_TOO_LARGE.format(
            size_mb=size / 2**20,
            limit_mb=settings.REQUEST_MAX_BYTES / 2**20,
            file_limit_mb=settings.UPLOAD_MAX_BYTES / 2**20,
        )
    else:
        title = "That request is too large"
        message = errors.DATA_TOO_LARGE.format(size_kb=size / 1024, limit_kb=settings.REQUEST_DATA_MAX_BYTES / 1024)
    return _error(request, status=413, code="request_too_large", title=title, message=message)


def server_error(request: HttpRequest) -> HttpResponse:
    """An unexpected error (handler500, so only with DEBUG off): JSON under /api/, else the static 500 page.

    The page needs no database or session, which may be what failed."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(body(code="server_error", detail=errors.SERVER_ERROR), status=500)
    return defaults.server_error(request)


def login_locked(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """Too many failed log-ins: the page (site or admin log-in) or the token endpoint says so, with Retry-After."""
    seconds = _seconds_locked(request, credentials)
    response = _error(
        request,
        status=429,
        code="login_locked",
        title="Log-in locked",
        message=errors.LOGIN_LOCKED.format(wait=_wait(seconds)),
        offer_reset=True,
    )
    response["Retry-After"] = str(seconds)
    return response


def rate_limited(request: HttpRequest, *, scope: str, retry_after: int) -> HttpResponse:
    """Over one of gallery.ratelimit's limits: the page says what and when to try again, with Retry-After."""
    message = errors.RATE_LIMITED.format(what=errors.RATE_LIMITED_WHAT[scope], wait=_wait(retry_after))
    response = _error(request, status=429, code="throttled", title="Please slow down", message=message)
    response["Retry-After"] = str(retry_after)
    return response


def _wait(seconds: int) -> str:
    """How long to wait, as a person would say it: 45 seconds, 1 minute, 15 minutes."""
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _seconds_locked(request: HttpRequest, credentials: dict | None) -> int:
    """Seconds until the lock ends: the cool-off counts from the last failure that counted."""
    cool_off = get_cool_off(request)
    attempts = AxesProxyHandler.get_implementation().get_user_attempts(request, credentials)
    times = [when for found in attempts if (when := found.aggregate(last=Max("attempt_time"))["last"])]
    ends = max(times, default=timezone.now()) + cool_off
    return max(1, math.ceil((ends - timezone.now()).total_seconds()))


def queue_unreachable(request: HttpRequest) -> HttpResponse:
    response = _error(
        request, status=503, code="queue_unreachable", title="The job queue is unreachable", message=errors.QUEUE_DOWN
    )
    response["Retry-After"] = "30"
    return response
