"""A rate-limit window counted on Redis in one round trip (issue 25): the same counts, lifetimes
and limits as ``cache.add`` + ``cache.incr`` (three round trips)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from baogong.core import ratelimit
from baogong.core.cache import RedisCache


@pytest.fixture
def redis_cache() -> Iterator[RedisCache]:
    prefix = f"baogong-test-{uuid.uuid4().hex}"
    shared = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": prefix})
    yield shared
    client = shared._cache.get_client(write=True)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


class RoundTrips:
    def __init__(self, monkeypatch) -> None:
        self.count = 0
        for cls in (redis.Redis, redis.client.Pipeline):
            original = getattr(cls, "execute_command" if cls is redis.Redis else "execute")

            def counted(*args, _original=original, **kwargs):
                self.count += 1
                return _original(*args, **kwargs)

            monkeypatch.setattr(cls, "execute_command" if cls is redis.Redis else "execute", counted)


def test_a_window_is_counted_in_one_round_trip(redis_cache, monkeypatch):
    trips = RoundTrips(monkeypatch)
    assert [redis_cache.count_window("w", 61) for _ in range(3)] == [1, 2, 3]
    assert trips.count == 3
    assert redis_cache.get("w") == 3  # read back as ``ratelimit.exhausted`` reads it
    full = redis_cache.make_and_validate_key("w")
    assert 0 < redis_cache._cache.get_client(full).ttl(full) <= 61


def test_a_window_left_without_a_lifetime_gets_one(redis_cache):
    full = redis_cache.make_and_validate_key("w")
    client = redis_cache._cache.get_client(full, write=True)
    client.incr(full)  # what INCR leaves when the key expired just after SET NX
    assert client.ttl(full) == -1
    assert redis_cache.count_window("w", 61) == 2
    assert 0 < client.ttl(full) <= 61


def test_the_api_throttle_counts_on_redis_and_refuses_past_the_limit(base, api_for, redis_cache, monkeypatch):
    prefix = redis_cache.key_prefix
    caches = {"default": {"BACKEND": "baogong.core.cache.RedisCache", "LOCATION": settings.REDIS_URL}}
    caches["default"]["KEY_PREFIX"] = prefix  # the fixture removes its keys afterwards
    rest = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "off", "user": "3/min"}}
    monkeypatch.setattr(ratelimit, "_now", lambda: 120.0)  # the start of a window: no roll-over mid-test
    windows = []
    original = RedisCache.count_window

    def counted(self, key, timeout):
        windows.append((key, timeout))
        return original(self, key, timeout)

    monkeypatch.setattr(RedisCache, "count_window", counted)
    with override_settings(CACHES=caches, REST_FRAMEWORK=rest):
        api = api_for("warehouse")
        statuses = [api.get("/api/v1/sites/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert len(windows) == 4 and {timeout for _key, timeout in windows} == {61}
