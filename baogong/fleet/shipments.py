"""Planning from the distribution app's shipments (read only: its models, never its tables' writes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from baogong.fleet.actions import StopInput


def open_shipments(warehouse_ids: list[int]) -> QuerySet[Any]:
    """Shipments planned or picked (not yet loaded) at these warehouses, oldest first."""
    from baogong.distribution.choices import ShipmentStatus
    from baogong.distribution.models import Shipment

    return (
        Shipment.objects.filter(
            warehouse_id__in=warehouse_ids, status__in=[ShipmentStatus.PLANNED, ShipmentStatus.PICKED]
        )
        .select_related("recipient", "warehouse")
        .prefetch_related("lines__item")
        .order_by("pk")
    )


def shipment_stop(shipment: Any, service_minutes: int = 10) -> StopInput:
    """One delivery per shipment; demand from its lines and the items' pack data (kg, m³ → litres,
    issue units as cases)."""
    kg = Decimal(0)
    litres = Decimal(0)
    cases = 0
    for line in shipment.lines.all():
        kg += Decimal(line.item.weight_kg or 0) * line.qty
        litres += Decimal(line.item.volume_m3 or 0) * 1000 * line.qty
        cases += line.qty
    return StopInput(
        shipment.recipient,
        demand_kg=int(kg.to_integral_value(rounding="ROUND_CEILING")),
        demand_litres=int(litres.to_integral_value(rounding="ROUND_CEILING")),
        demand_cases=cases,
        service_minutes=service_minutes,
        reference=shipment.number or f"SHIPMENT-{shipment.pk}",
        shipment=shipment,
    )
