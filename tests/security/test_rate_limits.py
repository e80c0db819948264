"""Rate limits: pages anyone may open and the API answer 429 with Retry-After once a client
sent more than its rate, and let it in again in the next window."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from baogong.core import ratelimit


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1_699_999_200.0  # the start of a minute
        monkeypatch.setattr(ratelimit, "_now", lambda: self.now)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def limits(settings: Any) -> dict[str, str]:
    settings.BAOGONG_RATE_LIMITS = {"public": "3/min", "order_lookup": "5/min", "order_code_failures": "3/hour"}
    return settings.BAOGONG_RATE_LIMITS  # type: ignore[no-any-return]


def test_a_public_page_answers_429_after_its_rate_and_again_in_the_next_window(
    client: Client, base: None, limits: dict[str, str], clock: Clock
) -> None:
    # given three requests, the rate
    for _ in range(3):
        assert client.get("/pharmacy/order/").status_code == 200
    # when the fourth comes 20 s later
    clock.now += 20
    refused = client.get("/pharmacy/order/")
    # then it is refused, with a page that says when to come back
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"
    body = refused.content.decode()
    assert "请求过于频繁" in body and "40" in body
    assert "Content-Security-Policy" in refused
    # and in the next minute the page opens again
    clock.now += 40
    assert client.get("/pharmacy/order/").status_code == 200


def test_each_client_address_has_its_own_count(
    client: Client, base: None, limits: dict[str, str], clock: Clock
) -> None:
    for _ in range(3):
        client.get("/r/zz-no-such-thing/", REMOTE_ADDR="10.0.0.1")
    assert client.get("/r/zz-no-such-thing/", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get("/r/zz-no-such-thing/", REMOTE_ADDR="10.0.0.2").status_code == 404
    assert client.get("/d/zz-no-such-thing/", REMOTE_ADDR="10.0.0.1").status_code == 429  # one "public" count


def test_behind_a_proxy_the_forwarded_address_counts(
    client: Client, base: None, limits: dict[str, str], clock: Clock, settings: Any
) -> None:
    # without a trusted proxy the header is ignored (a client could make it up)
    for n in range(4):
        response = client.get("/d/zz-no-such-thing/", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert response.status_code == 429
    # with nginx in front, its X-Forwarded-For names the client
    settings.BAOGONG_NUM_PROXIES = 1
    clock.now += 60
    for n in range(4):
        assert client.get("/d/zz-no-such-thing/", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code == 404
    assert client.get("/d/zz-no-such-thing/", HTTP_X_FORWARDED_FOR="203.0.113.9, 192.0.2.1").status_code == 404


def test_the_api_throttles_a_user_with_a_json_error(api_for: Any, settings: Any, clock: Clock) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "user": "3/min"},
    }
    api = api_for("commander")
    for _ in range(3):
        assert api.get("/api/v1/sites/").status_code == 200
    refused = api.get("/api/v1/sites/")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json() == {
        "code": "throttled",
        "message": "请求过于频繁，本次操作没有保存任何内容。 请等待 60 秒后再试。",
        "details": {"retry_after": 60},
    }
    # another user has a count of their own
    assert api_for("warehouse").get("/api/v1/sites/").status_code == 200
    clock.now += 60
    assert api.get("/api/v1/sites/").status_code == 200


def test_the_api_throttles_anonymous_clients_by_address(client: Client, settings: Any, clock: Clock) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/min", "user": "3/min"},
    }
    anonymous = APIClient()
    assert anonymous.get("/api/v1/openapi.json").status_code == 200
    refused = anonymous.get("/api/v1/openapi.json")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json()["code"] == "throttled"
    assert APIClient(REMOTE_ADDR="10.9.9.9").get("/api/v1/openapi.json").status_code == 200


def test_a_rate_of_off_switches_a_limit_off(client: Client, base: None, settings: Any, clock: Clock) -> None:
    settings.BAOGONG_RATE_LIMITS = {"public": "off"}
    for _ in range(5):
        assert client.get("/pharmacy/order/").status_code == 200


def test_an_unreachable_cache_lets_requests_through(
    client: Client, base: None, limits: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("cache down")

    monkeypatch.setattr(ratelimit.cache, "add", broken)
    for _ in range(5):
        assert client.get("/pharmacy/order/").status_code == 200


def test_the_default_rates_are_generous_and_read_from_the_environment() -> None:
    import os
    import subprocess
    import sys

    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.BAOGONG_RATE_LIMITS, s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'], s.CACHES['default']['BACKEND']]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "baogong.settings",
        "BAOGONG_RATE_PUBLIC": "7/min",
        "BAOGONG_THROTTLE_USER": "9/s",
        "CACHE_URL": "redis://127.0.0.1:6379/3",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)  # noqa: S603
    public, api, backend = __import__("json").loads(out.stdout)
    assert public["public"] == "7/min"
    assert api == {"anon": "120/min", "user": "9/s"}
    assert backend == "baogong.core.cache.RedisCache"
