"""Rate limits on the endpoints that create things (photos, stylizations, tokens).

Each view names a scope (`throttle_scope`) whose rate is in
`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`; a request over it gets 429 with
`Retry-After`. Counts live in Django's default cache: per process with the local-memory
cache, so a multi-process deployment should point CACHES at Redis or Memcached.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class ScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, reading the rates when a request comes rather than at import.

    DRF copies the rates into a class attribute once; reading them live lets settings
    overrides (tests, `override_settings`) take effect.
    """

    @property
    def THROTTLE_RATES(self) -> dict[str, str]:
        return api_settings.DEFAULT_THROTTLE_RATES


class ThrottledActionsMixin:
    """Throttle only the viewset actions listed in `throttled_actions`, under `throttle_scope`."""

    throttled_actions: tuple[str, ...] = ()

    def get_throttles(self):
        return [ScopedThrottle()] if getattr(self, "action", None) in self.throttled_actions else []
