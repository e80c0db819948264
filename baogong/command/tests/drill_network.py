"""The small network the drill tests (and the drill's browser test) run on, built through the actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from baogong.orgs.models import Site


def drill_start() -> dt.date:
    """The drill window opens tomorrow (Shanghai): a window still to come reads today's stock."""
    from django.utils import timezone

    return timezone.localdate() + dt.timedelta(days=1)


def build_network() -> dict[str, Any]:
    """Two warehouses with 100 N95 each (one lot from supplier 坏供应商 at 泰兴桥), a vehicle at each, and
    three approved requests due in the window: the field hospital (tier 1) 60 on the first day, the
    elderly home (tier 2) 80 and the street office (tier 3) 100 on the second."""
    from decimal import Decimal

    from baogong.catalog import actions as catalog_actions
    from baogong.core.audit import SystemActor
    from baogong.distribution import actions as distribution_actions
    from baogong.distribution.actions import LineInput
    from baogong.fleet import actions as fleet_actions
    from baogong.fleet.tests.registered import light_truck
    from baogong.inventory import actions as inventory_actions
    from baogong.inventory.actions import ReceiptLineInput

    system = SystemActor("test")
    start = drill_start()
    n95 = catalog_actions.create_item(
        {"code": "N95", "name": "医用防护口罩", "unit": "箱", "weight_kg": Decimal("8"), "volume_m3": Decimal("0.05")},
        actor=system,
    )
    txq, yy = Site.objects.get(code="WH-TXQ"), Site.objects.get(code="WH-YY")
    inventory_actions.receive_stock(
        txq,
        [ReceiptLineInput(item=n95, batch="B-TXQ", qty=100, unit_cost=Decimal("200"))],
        actor=system,
        supplier_ref="坏供应商",
        supplier_name="坏供应商",
    )
    inventory_actions.receive_stock(
        yy, [ReceiptLineInput(item=n95, batch="B-YY", qty=100, unit_cost=Decimal("200"))], actor=system
    )
    for plate, depot in (("沪A10001", txq), ("沪A10002", yy)):
        fleet_actions.create_vehicle(light_truck(plate, depot), actor=system)
    wanted = [("FH-FCL", 60, start), ("EH-TY", 80, start + dt.timedelta(days=1))]
    wanted.append(("SO-310113007", 100, start + dt.timedelta(days=1)))
    for code, qty, due in wanted:
        request = distribution_actions.file_request(
            Site.objects.get(code=code), [LineInput(item=n95, qty=qty, needed_by=due)], actor=system, submit=True
        )
        distribution_actions.approve_request(request, actor=system)
    return {"start": start, "n95": n95, "txq": txq, "yy": yy}
