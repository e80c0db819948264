"""Ordered row locks of fleet records: every ``select_for_update`` of the app is here.

The order (``docs/decisions/0003-lock-order.md``, step 1 is the document acted on), each set in
primary-key order, numbers and states read only after the locks are taken:

- a route plan: :func:`plan_for_update` -> its routes (:func:`routes_of_plan_for_update`,
  :func:`route_for_update`) -> its stops (:func:`stop_for_update`,
  :func:`shipment_stops_of_plan_for_update`) -> distribution's shipments, which only
  ``baogong.distribution.shipments.assign_transport`` locks (through distribution's ``locks.py``);
- a vehicle, a driver, a pass, a fuel tank: each the document of its own actions
  (:func:`vehicle_for_update`, :func:`driver_for_update`, :func:`pass_for_update`,
  :func:`passes_for_update`, :func:`tank_for_update`, :func:`tanks_to_alert_for_update`); a
  fuel sale or delivery takes the tank first and then, in the same transaction, the tank's
  balances through inventory's ledger (step 5), so sales and deliveries of one tank queue on it.

Only fleet rows are locked here (``of=("self",)`` where other rows are joined for reading).
"""

from __future__ import annotations

from django.db.models import QuerySet

from baogong.fleet.models import Driver, FuelTank, PlannedRoute, RoutePlan, RouteStop, Vehicle, VehiclePass


def vehicle_for_update(pk: int) -> Vehicle:
    return Vehicle.objects.select_for_update().get(pk=pk)


def driver_for_update(pk: int) -> Driver:
    return Driver.objects.select_for_update().get(pk=pk)


def pass_for_update(pk: int) -> VehiclePass:
    return VehiclePass.objects.select_for_update().get(pk=pk)


def passes_for_update(passes: QuerySet[VehiclePass]) -> list[VehiclePass]:
    """The passes a queryset selects, locked in pk order (their vehicles read, not locked); the
    list keeps the queryset's own order."""
    locked = {p.pk: p for p in passes.select_for_update(of=("self",)).order_by("pk")}
    return [locked[pk] for pk in passes.values_list("pk", flat=True) if pk in locked]


def plan_for_update(pk: int) -> RoutePlan:
    """A route plan, locked: the document of every plan action, taken first."""
    return RoutePlan.objects.select_for_update().get(pk=pk)


def routes_of_plan_for_update(plan_id: int) -> list[PlannedRoute]:
    """Every route of a (locked) plan, locked in pk order."""
    return list(PlannedRoute.objects.select_for_update().filter(plan_id=plan_id).order_by("pk"))


def route_for_update(pk: int) -> PlannedRoute:
    """One route, locked (after its plan)."""
    return PlannedRoute.objects.select_for_update().get(pk=pk)


def stop_for_update(pk: int) -> RouteStop:
    """One stop, locked (after its plan and routes)."""
    return RouteStop.objects.select_for_update().get(pk=pk)


def shipment_stops_of_plan_for_update(plan_id: int) -> list[RouteStop]:
    """The stops of a (locked) plan that carry a shipment, locked in pk order (after its routes)."""
    return list(RouteStop.objects.select_for_update().filter(plan_id=plan_id, shipment__isnull=False).order_by("pk"))


def tank_for_update(pk: int) -> FuelTank:
    return FuelTank.objects.select_for_update().get(pk=pk)


def tanks_to_alert_for_update() -> list[FuelTank]:
    """Tanks not yet alerted as low, locked in pk order."""
    return list(FuelTank.objects.select_for_update().filter(low_alert_sent=False).order_by("pk"))
