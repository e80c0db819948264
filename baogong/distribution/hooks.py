"""What apps above distribution plug into it, filled in their ``AppConfig.ready()``.

Distribution sits below fleet in the import layers (``[tool.importlinter]`` in pyproject.toml),
so it never imports fleet; fleet registers its own check here instead::

    class FleetConfig(AppConfig):
        def ready(self) -> None:
            register_dispatch_check(queries.shipment_dispatch_refusals)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from baogong.core.audit import Actor
    from baogong.distribution.models import Shipment

# ``check(shipment, on_date)`` → why the shipment may not leave on that day (empty: allowed).
DispatchCheck = Callable[["Shipment", dt.date], list[str]]

DISPATCH_CHECKS: list[DispatchCheck] = []


def register_dispatch_check(check: DispatchCheck) -> None:
    """Add a check that :func:`baogong.distribution.actions.dispatch_refusals` asks (once)."""
    if check not in DISPATCH_CHECKS:
        DISPATCH_CHECKS.append(check)


# ``withdraw(shipment_ids, actor)`` runs inside the re-plan's transaction before the shipments of
# an affected warehouse are deleted (the fleet takes them off its route plans).
ShipmentWithdrawn = Callable[[list[int], "Actor"], None]
SHIPMENT_WITHDRAWN: list[ShipmentWithdrawn] = []

# ``follow_up(warehouse_ids, actor)`` runs after a re-plan commits (the fleet re-runs the day's
# route plans of those warehouses).
AfterReplan = Callable[[list[int], "Actor"], object]
AFTER_REPLAN: list[AfterReplan] = []


def register_shipment_withdrawn(hook: ShipmentWithdrawn) -> None:
    if hook not in SHIPMENT_WITHDRAWN:
        SHIPMENT_WITHDRAWN.append(hook)


def register_after_replan(hook: AfterReplan) -> None:
    if hook not in AFTER_REPLAN:
        AFTER_REPLAN.append(hook)


# ``check(actor, on_date)`` → why this user may not load or dispatch goods on that day (people:
# the user's own person is positive or a close contact in isolation). Empty: allowed.
ActorCheck = Callable[["Actor", dt.date], list[str]]
ACTOR_CHECKS: list[ActorCheck] = []


def register_actor_check(check: ActorCheck) -> None:
    if check not in ACTOR_CHECKS:
        ACTOR_CHECKS.append(check)
