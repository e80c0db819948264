"""The API's throttles (``REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]``): DRF's anonymous and
per-user rates, counted like every other rate limit (``baogong.core.ratelimit``: a fixed window
in Django's cache, shared across machines when the cache is Redis)."""

from __future__ import annotations

from typing import Any

from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings

from baogong.core import ratelimit


class _CountedThrottle(throttling.SimpleRateThrottle):
    _wait: int | None = None

    def get_rate(self) -> str | None:
        # read at each request (DRF copies the rates once, at import): settings changes apply
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)

    def parse_rate(self, rate: str | None) -> tuple[int, int] | tuple[None, None]:
        parsed = ratelimit.parse_rate(rate)
        return (None, None) if parsed is None else parsed

    def allow_request(self, request: Request, view: Any) -> bool:
        limit: int | None = getattr(self, "num_requests", None)  # set by SimpleRateThrottle.__init__
        period: int | None = getattr(self, "duration", None)
        if limit is None or period is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self._wait = ratelimit.count(key, limit, period)
        return self._wait is None

    def get_ident(self, request: Request) -> str:
        return ratelimit.client_address(request)

    def wait(self) -> float | None:
        return self._wait


class AnonRateThrottle(_CountedThrottle, throttling.AnonRateThrottle):
    """Requests without a user, per client address (``DEFAULT_THROTTLE_RATES["anon"]``)."""


class UserRateThrottle(_CountedThrottle, throttling.UserRateThrottle):
    """Requests of a signed-in user or token, per user (``DEFAULT_THROTTLE_RATES["user"]``)."""
