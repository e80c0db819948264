"""Rate limits counted in Django's cache: pages anyone may open, and the API's throttles.

A limit is a rate such as ``"120/min"`` (requests per second, minute, hour or day) for a *scope*
(``settings.BAOGONG_RATE_LIMITS``) and a client. Counting is a fixed window per scope and client:
one ``cache.add`` + ``cache.incr``, atomic on Redis (there one transaction, one round trip). With
the default per-process cache each process counts on its own; set ``CACHE_URL=redis://…`` so that
every process and machine shares the counts. A cache that does not answer lets the request through
(and logs it): a rate limit must never take the site down.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)
View = TypeVar("View", bound=Callable[..., HttpResponse])
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _now() -> float:
    return time.time()


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """``"120/min"`` → (120, 60); ``None``, ``""`` or ``"off"`` → no limit."""
    if not rate or rate.strip().lower() in {"off", "none"}:
        return None
    number, _slash, period = rate.partition("/")
    return int(number), PERIODS[period.strip()[0].lower()]


def client_address(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or with ``BAOGONG_NUM_PROXIES`` = n trusted proxies
    in front (nginx), the address the n-th proxy from the end of ``X-Forwarded-For`` saw (the
    same rule as DRF's ``NUM_PROXIES``)."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    proxies = int(getattr(settings, "BAOGONG_NUM_PROXIES", 0) or 0)
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    return addresses[-min(proxies, len(addresses))] if addresses else remote


def _window(key: str, period: int) -> tuple[str, int]:
    """The cache key of ``key``'s current window and the seconds until the next one."""
    now = _now()
    window = int(now // period)
    return f"baogong:rate:{key}:{window}", max(1, math.ceil((window + 1) * period - now))


def count(key: str, limit: int, period: int) -> int | None:
    """Count one request under ``key``; the seconds to wait when it is over ``limit`` in the
    current window of ``period`` seconds, else None."""
    cache_key, wait = _window(key, period)
    counter = getattr(cache, "count_window", None)  # Redis: the same in one round trip (core/cache.py)
    try:
        if counter is not None:
            used = counter(cache_key, period + 1)
        else:
            cache.add(cache_key, 0, timeout=period + 1)
            try:
                used = cache.incr(cache_key)
            except ValueError:  # expired between add and incr
                cache.set(cache_key, 1, timeout=period + 1)
                used = 1
    except Exception:  # noqa: BLE001 - an unreachable cache must not refuse requests
        logger.warning("rate limit cache unavailable; request let through", exc_info=True)
        return None
    return None if used <= limit else wait


def _scoped(scope: str, ident: str) -> tuple[str, int, int] | None:
    parsed = parse_rate(settings.BAOGONG_RATE_LIMITS.get(scope))
    if parsed is None:
        return None
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"{scope}:{digest}", *parsed


def hit(scope: str, ident: str) -> int | None:
    """Count a request of ``ident`` in ``scope``; seconds to wait when over the limit, else None."""
    scoped = _scoped(scope, ident)
    return None if scoped is None else count(*scoped)


def exhausted(scope: str, ident: str) -> int | None:
    """Without counting: the seconds to wait when ``ident`` has used up ``scope``'s limit (for
    limits on failures, counted with ``hit`` only when one happens), else None."""
    scoped = _scoped(scope, ident)
    if scoped is None:
        return None
    key, limit, period = scoped
    cache_key, wait = _window(key, period)
    try:
        used = int(cache.get(cache_key) or 0)
    except Exception:  # noqa: BLE001 - an unreachable cache must not refuse requests
        logger.warning("rate limit cache unavailable; request let through", exc_info=True)
        return None
    return wait if used >= limit else None


def rate_limited(scope: str, *, exempt_authenticated: bool = False) -> Callable[[View], View]:
    """A page anyone may open answers 429 (a page in the site's look, with ``Retry-After``) once
    one client address sent more requests than ``BAOGONG_RATE_LIMITS[scope]`` allows.
    ``exempt_authenticated``: signed-in users are not counted (a driver's phone keeps the day's
    delivery pages for offline use: hundreds of them in a minute)."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if exempt_authenticated and request.user.is_authenticated:
                return view(request, *args, **kwargs)
            wait = hit(scope, client_address(request))
            if wait is not None:
                return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def too_many_requests(request: HttpRequest, wait: int) -> HttpResponse:
    from baogong.core.views import throttled

    return throttled(request, wait)
