"""Site-wide middleware for request bodies (see MIDDLEWARE in settings for their order).

- `StrictFileNamesMiddleware`: the pages parse multipart bodies with
  `gallery.http.StrictMultiPartParser` (an upload's file name with folders is a 400).
- `RequestSizeLimitMiddleware`: a body declared larger than its limit is refused with 413
  before a byte of it is read: REQUEST_MAX_BYTES for uploads (multipart), the much smaller
  REQUEST_DATA_MAX_BYTES for any other body (JSON, plain forms), which is parsed in memory.
- `QueueOutageMiddleware`: a view that needs Redis while it is down answers 503 with a
  page that says so, not a 500 (every page of ours renders from the database; the RQ
  dashboard cannot).
- `ContentSecurityPolicyMiddleware`: every HTML page tells the browser to run, style and
  load nothing but what comes from this site.
"""

from __future__ import annotations

from collections.abc import Callable

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import ImmutableList

from gallery import error_pages
from gallery.http import StrictMultiPartParser


class StrictFileNamesMiddleware:
    """Parse the pages' multipart bodies with `StrictMultiPartParser`.

    It replaces the request's `parse_file_upload` before anything reads `request.POST`
    (CsrfViewMiddleware does, in its process_view, which runs after every middleware's
    `__call__`). Django answers the parser's error with the 400 handler (gallery.error_pages.bad_request).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        def parse_file_upload(meta, post_data):
            request.upload_handlers = ImmutableList(
                request.upload_handlers, warning="Upload handlers cannot change once the upload is parsed."
            )
            return StrictMultiPartParser(meta, post_data, request.upload_handlers, request.encoding).parse()

        request.parse_file_upload = parse_file_upload
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is over its limit with 413, unread.

    The body's length is known from Content-Length before it is read (under WSGI a body
    is never read past it), so a 2 GB upload costs nothing but its headers. Only multipart
    bodies, which Django streams to disk, may be large; a JSON body is read whole into
    memory and parsed (a 20 MB one cost 500 MB), so it is held to REQUEST_DATA_MAX_BYTES.
    One image over UPLOAD_MAX_BYTES in a smaller request still gets the form's 400.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # as Django reads it: no body
        upload = request.content_type == "multipart/form-data"
        if length > (settings.REQUEST_MAX_BYTES if upload else settings.REQUEST_DATA_MAX_BYTES):
            return error_pages.request_too_large(request, size=length, upload=upload)
        return self.get_response(request)


class QueueOutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (redis.ConnectionError, redis.TimeoutError)):
            return error_pages.queue_unreachable(request)
        return None


# Scripts, styles, fonts and fetches come from this site only: no inline script or style, no
# eval, no plugin, no framing, and forms post back to us. `data:` images are the icons inside
# Swagger UI's stylesheet. Our pages carry no inline code (templates/, static/gallery/); the
# API docs load their start-up script from their own URL (gallery/api/urls.py).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The staff pages under /admin/ keep inline style attributes (thumbnails in gallery/admin.py,
# Django's change list), and django-rq's dashboard its inline scripts: staff-only pages,
# whose data Django's templates escape like any other. The first matching prefix wins.
RELAXED_POLICIES = (
    (
        "/admin/django_rq/",
        f"{CONTENT_SECURITY_POLICY}; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'",
    ),
    ("/admin/", f"{CONTENT_SECURITY_POLICY}; style-src 'self' 'unsafe-inline'"),
)


class ContentSecurityPolicyMiddleware:
    """Set CONTENT_SECURITY_POLICY on every HTML response that has no policy of its own.

    Images keep theirs (gallery.views: nothing runs in them at all). Placed first, so that
    error pages made by other middleware (413, 503, the 500 page) carry it too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            policy = next(
                (relaxed for prefix, relaxed in RELAXED_POLICIES if request.path_info.startswith(prefix)),
                CONTENT_SECURITY_POLICY,
            )
            response.headers.setdefault("Content-Security-Policy", policy)
        return response
