"""Every state change of vehicles, drivers, passes, route plans and fuel stations.

One module per aggregate (zulip's ``zerver/actions/``); this package re-exports the public names,
so ``from baogong.fleet import actions; actions.create_plan(...)`` keeps working:

- :mod:`.vehicles` vehicles and drivers
- :mod:`.passes` vehicle passes and their expiry alerts
- :mod:`.plans` route plans (create, solve, move stops, assign drivers, accept)
- :mod:`.fuel` fuel stations (tanks, deliveries, rosters, queue, sales, low-level alerts)

Row locks are taken through :mod:`baogong.fleet.locks`.
"""

from baogong.fleet.actions.fuel import (
    arrive_at_station,
    create_tank,
    ensure_sales_site,
    receive_fuel,
    sell_fuel,
    send_low_tank_alerts,
    set_roster,
)
from baogong.fleet.actions.fuel_many import SaleInput, sell_fuel_many
from baogong.fleet.actions.passes import PASS_FIELDS, register_pass, revoke_pass, send_pass_expiry_alerts
from baogong.fleet.actions.plans import (
    StopInput,
    accept_plan,
    apply_plan_result,
    assign_driver,
    assign_drivers,
    create_plan,
    mark_plan_failed,
    move_stop,
    start_planning,
)
from baogong.fleet.actions.vehicles import (
    DRIVER_FIELDS,
    VEHICLE_FIELDS,
    create_driver,
    create_vehicle,
    set_vehicle_status,
    update_driver,
    update_vehicle,
)

__all__ = [
    "SaleInput",
    "DRIVER_FIELDS",
    "PASS_FIELDS",
    "VEHICLE_FIELDS",
    "StopInput",
    "accept_plan",
    "apply_plan_result",
    "arrive_at_station",
    "assign_driver",
    "assign_drivers",
    "create_driver",
    "create_plan",
    "create_tank",
    "create_vehicle",
    "ensure_sales_site",
    "mark_plan_failed",
    "move_stop",
    "receive_fuel",
    "register_pass",
    "revoke_pass",
    "sell_fuel",
    "sell_fuel_many",
    "send_low_tank_alerts",
    "send_pass_expiry_alerts",
    "set_roster",
    "set_vehicle_status",
    "start_planning",
    "update_driver",
    "update_vehicle",
]
