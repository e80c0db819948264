"""A working day for every demo account: what each role finds waiting on its home page.

``load_demo_workday()`` (run by ``baogong bootstrap`` after the demo records) links each demo
account to a person and gives every role work dated today (Shanghai): stock to put away and
shipments to pick at the keeper's 泰兴桥 warehouse, shipments to load for the dispatcher, a route
with two deliveries for the driver (a registered driver with a tested person, a truck with a
pass), a lot waiting for inspection, a requisition to place, pharmacy orders to review, rent-relief
applications at each stage (the tenant account's own among them), a tank, a roster and a queue at
凤凰加油站, staff on duty whose tests are due, a request for the command centre to approve.
Everything goes through the apps' own actions (audited), by the accounts that do the work where
they may. Idempotent: each part looks for its own records first, so a second run changes nothing.

The 2022 replay (``baogong demo``) does not use this; it keeps its own trucks, drivers and days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from baogong.core.errors import DomainError
from baogong.demo.workday import accounts, services, supply

PARTS: list[tuple[str, Callable[[dt.date], int]]] = [
    ("people", accounts.link_people),
    ("fleet", accounts.register_fleet),
    ("stock", supply.stock_the_warehouse),
    ("shipments", supply.ship),
    ("purchases", supply.purchases),
    ("pharmacy", services.pharmacy_orders),
    ("relief", services.relief_applications),
    ("fuel", services.fuel_station),
]


def load_demo_workday() -> tuple[dict[str, int], list[str]]:
    """How many records each part made (0 when they were there already), and the parts the
    data refused (e.g. 泰兴桥 under control after a replayed outbreak): bootstrap goes on."""
    today = timezone.localdate()
    made: dict[str, int] = {}
    refused: list[str] = []
    for name, part in PARTS:
        try:
            made[name] = part(today)
        except DomainError as exc:
            made[name] = 0
            refused.append(f"{name}: {exc.message} {exc.details or ''}".strip())
    return made, refused
