"""One rate limiter for the pages and the API: how often a user or an address may do
something that costs us (settings.RATE_LIMITS, README Configuration).

- `uploads` (photos), `stylizations` (creates and retries): per signed-in user, every
  request counts, on the pages (`rate_limited`) and in the API (`gallery.api.throttling`).
- `signups`: per client address, every sign-up sent counts.
- `password_resets`: per client address, every reset request sent counts (each may send a
  mail: without a limit, anyone could flood an inbox with them).
- `logins`: per client address, across usernames: failed log-ins count (the site's, the
  admin's and the API's token endpoint together, through Django's `user_login_failed`),
  and past the limit every log-in from that address is refused until the count decays.
  django-axes still locks one username from one address after LOGIN_FAILURE_LIMIT.

A request over a limit is refused before its view runs: the pages answer a 429 page that
says when to try again, the API its `throttled` error, both with `Retry-After`.

Counts live in Django's default cache (shared by all web processes when CACHE_URL points
at Redis). The window slides: the count is the current fixed window's plus the previous
one's, weighted by how much of it still overlaps the last `period` seconds (two counters
per key, each changed only by atomic increments, so concurrent requests cannot overshoot).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from gallery import error_pages
from gallery.http import client_ip

PER_ADDRESS = frozenset({"signups", "password_resets", "logins"})
FAILURES_ONLY = frozenset({"logins"})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # seconds, when refused


def check(scope: str, request: HttpRequest) -> Decision:
    """Whether `request` may go ahead under `scope`'s limit; counts it unless the scope counts failures only."""
    window = _Window(scope, _ident(scope, request))
    if scope in FAILURES_ONLY:
        return window.peek()
    return window.take()


def record_failure(scope: str, request: HttpRequest) -> None:
    """Count one failure (a failed log-in) under a scope that counts failures only."""
    _Window(scope, _ident(scope, request)).count()


def record_login_failure(sender, credentials=None, request: HttpRequest | None = None, **kwargs) -> None:
    """Django's `user_login_failed` receiver (connected in gallery.apps): every failed log-in, any door."""
    if request is not None:
        record_failure("logins", request)


def rate_limited(scope: str) -> Callable:
    """Page view decorator: a POST over `scope`'s limit gets the 429 page, and the view never runs."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                decision = check(scope, request)
                if not decision.allowed:
                    return error_pages.rate_limited(request, scope=scope, retry_after=decision.retry_after)
            return view(request, *args, **kwargs)

        return limited

    return decorate


def _ident(scope: str, request) -> str:
    user = getattr(request, "user", None)
    if scope not in PER_ADDRESS and user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"address:{client_ip(request)}"


class _Window:
    """The sliding-window count of one (scope, ident)."""

    def __init__(self, scope: str, ident: str):
        self.limit, self.period = settings.RATE_LIMITS[scope]
        now = time.time()
        index = int(now // self.period)
        self.elapsed = now - index * self.period
        self.key = f"ratelimit:{scope}:{ident}:{index}"
        self.previous = cache.get(f"ratelimit:{scope}:{ident}:{index - 1}", 0)

    def _weighted_previous(self) -> float:
        return self.previous * (self.period - self.elapsed) / self.period

    def count(self) -> int:
        """Count one more in the current window; return the window's count."""
        cache.add(self.key, 0, timeout=2 * self.period + 1)  # kept while it is the previous window
        return cache.incr(self.key)

    def peek(self) -> Decision:
        current = cache.get(self.key, 0)
        if self._weighted_previous() + current + 1 <= self.limit:
            return Decision(True)
        return Decision(False, self._retry_after(current))

    def take(self) -> Decision:
        current = self.count()
        if self._weighted_previous() + current <= self.limit:
            return Decision(True)
        cache.decr(self.key)  # a refused request does not count
        return Decision(False, self._retry_after(current - 1))

    def _retry_after(self, current: int) -> int:
        """Seconds until one more request fits, if no other comes meanwhile."""
        left_in_window = self.period - self.elapsed
        room = self.limit - 1 - current  # what the previous window's weight must fall to
        if room >= 0:
            # Within this window, once the previous window's share has decayed enough.
            wait = left_in_window - room * self.period / self.previous if self.previous else 0.0
        else:
            # Next window: this one becomes the previous, and must decay below limit - 1.
            wait = left_in_window + self.period - (self.limit - 1) * self.period / current
        return max(1, math.ceil(wait))
