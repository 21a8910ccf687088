"""Rate limits on the endpoints that create things (photos, stylizations) and on log-in.

Each view names a scope (`throttle_scope`) of settings.RATE_LIMITS; the counting is
gallery.ratelimit's, the same limiter the pages use, so a user's uploads or creates on the
pages and in the API count together. A request over its limit gets 429 `throttled` with
`Retry-After`.
"""

from rest_framework.throttling import BaseThrottle

from gallery import ratelimit


class RateLimitThrottle(BaseThrottle):
    """DRF's face of gallery.ratelimit, for the view's `throttle_scope`."""

    def allow_request(self, request, view) -> bool:
        self.decision = ratelimit.check(view.throttle_scope, request)
        return self.decision.allowed

    def wait(self) -> float:
        return self.decision.retry_after


class ThrottledActionsMixin:
    """Throttle only the viewset actions listed in `throttled_actions`, under `throttle_scope`."""

    throttled_actions: tuple[str, ...] = ()

    def get_throttles(self):
        return [RateLimitThrottle()] if getattr(self, "action", None) in self.throttled_actions else []
