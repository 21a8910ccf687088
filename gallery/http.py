"""Reading requests: strict upload file names and the client's address.

- `StrictMultiPartParser`: Django's multipart parser quietly strips folders from an upload's
  file name (`../../x.jpg` becomes `x.jpg`) before any view sees it. We refuse such a name
  with a clear 400 instead, before anything is written. The pages parse with it
  (`nstsite.middleware.StrictFileNamesMiddleware`), and so does the API (`gallery.api.parsers`).
- `client_ip`: REMOTE_ADDR, or the address the trusted proxies saw (TRUSTED_PROXY_COUNT).
"""

from __future__ import annotations

import html
import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParser

from gallery import errors


class StrictMultiPartParser(MultiPartParser):
    """Django's multipart parser, refusing file names with folders instead of trimming them.

    Browsers send a bare file name; a name with `/`, `\\` or a `..` part comes from a
    hand-made request (RFC 5987 `filename*=UTF-8''..%2F..%2Fx.jpg` arrives decoded here).
    """

    def sanitize_file_name(self, file_name: str) -> str | None:
        name = html.unescape(file_name)  # as Django does: `&#47;` is a slash too
        if "/" in name or "\\" in name or name.strip() in {".", ".."}:
            raise errors.UnsafeFileName(name)
        return super().sanitize_file_name(file_name)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, for the login lock (AXES_CLIENT_IP_CALLABLE).

    REMOTE_ADDR, unless TRUSTED_PROXY_COUNT says how many reverse proxies in front of us
    append to X-Forwarded-For: then the address the outermost of them saw, counted from the
    right as DRF's NUM_PROXIES does for the rate limits. The header's left part is whatever
    the client sent, so it is never trusted: a forged address would dodge the lock.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not proxies or not forwarded:
        return remote
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
