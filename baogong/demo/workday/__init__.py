"""A working day for every demo account: what each role finds waiting on its home page.

``load_demo_workday()`` (run by ``baogong bootstrap`` after the demo records) links each demo
account to a person and gives every role work dated today (Shanghai): stock to put away and
shipments to pick at the keeper's 泰兴桥 warehouse, shipments to load and send for the dispatcher,
a route with two deliveries for the driver (a registered driver with a tested person, a vehicle
with a pass), a lot waiting for inspection, pharmacy orders to review, rent-relief applications at
each stage (the tenant's own among them), a tank, a roster and a queue at 凤凰加油站, staff on duty
whose tests are due. Everything goes through the apps' own actions (audited), by the accounts that
do the work where they may. Idempotent: each part looks for its own records first, so a second
run changes nothing.

The 2022 replay (``baogong demo``) does not use this; it keeps its own plates, drivers and days.
"""

from __future__ import annotations

from django.utils import timezone

from baogong.demo.workday import accounts, services, supply


def load_demo_workday() -> dict[str, int]:
    """Each part returns how many records it made (0 when they were there already)."""
    today = timezone.localdate()
    made: dict[str, int] = {}
    made["people"] = accounts.link_people(today)
    made["fleet"] = accounts.register_fleet(today)
    made["stock"] = supply.stock_the_warehouse(today)
    made["shipments"] = supply.ship(today)
    made["purchases"] = supply.purchases(today)
    made["pharmacy"] = services.pharmacy_orders(today)
    made["relief"] = services.relief_applications(today)
    made["fuel"] = services.fuel_station(today)
    return made
