"""The order status page by number and 6-digit access code: wrong codes for one order are limited
from every address together, so the code cannot be guessed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from baogong.core import ratelimit
from baogong.pharmacy import actions
from baogong.pharmacy.models import Order


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    class Clock:
        now = 1_699_999_200.0  # the start of an hour

    monkeypatch.setattr(ratelimit, "_now", lambda: Clock.now)
    return Clock


@pytest.fixture
def limits(settings: Any) -> None:
    settings.BAOGONG_RATE_LIMITS = {"public": "3/min", "order_lookup": "5/min", "order_code_failures": "3/hour"}


@pytest.fixture
def placed_order(make_drug: Any, stock: Any, order_input: Any, system: Any) -> Order:
    drug = make_drug("布洛芬")
    stock("PH-02", drug, 10)
    return actions.place_order(order_input([(drug, 1)]), actor=system)[0]


def test_wrong_access_codes_for_one_order_are_limited_from_every_address(
    client: Client, placed_order: Order, limits: None, clock: Any
) -> None:
    url = f"/pharmacy/o/{placed_order.number}/"
    wrong = "000000" if placed_order.access_code != "000000" else "111111"
    # given three wrong codes, each from another address
    for n in range(3):
        assert client.get(url, {"code": wrong}, REMOTE_ADDR=f"10.0.1.{n}").status_code == 404
    # when the right code comes from a fourth address
    refused = client.get(url, {"code": placed_order.access_code}, REMOTE_ADDR="10.0.1.9")
    # then the order is closed to look-ups for the rest of the hour
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert placed_order.number not in refused.content.decode()
    clock.now += 3600
    assert client.get(url, {"code": placed_order.access_code}).status_code == 200


def test_right_codes_do_not_use_up_the_failure_limit(
    client: Client, placed_order: Order, limits: None, clock: Any
) -> None:
    url = f"/pharmacy/o/{placed_order.number}/"
    for n in range(10):
        assert client.get(url, {"code": placed_order.access_code}, REMOTE_ADDR=f"10.0.2.{n}").status_code == 200
