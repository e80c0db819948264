"""Helpers the distribution actions share (inputs, state snapshots, status checks)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.core.audit import Actor
from baogong.distribution import stock
from baogong.distribution.choices import (
    RequestStatus,
    ShipmentStatus,
)
from baogong.distribution.errors import (
    RequestStateInvalid,
    ShipmentStateInvalid,
)
from baogong.distribution.models import (
    AllocationReservation,
    Request,
    Shipment,
)

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


@dataclass(frozen=True)
class LineInput:
    item: Item
    qty: int
    needed_by: dt.date


def reserve_needs(
    needs: Mapping[int, Sequence[stock.ReserveNeed]], warehouses: Mapping[int, Any], *, actor: Actor
) -> list[AllocationReservation]:
    """Reserve each warehouse's needs (keyed by allocation line), warehouses in primary-key order
    (docs/decisions/0003); one unsaved link per reservation made. A shortfall raises the ledger's
    ``InsufficientStock`` for the caller to word."""
    links: list[AllocationReservation] = []
    for warehouse_id in sorted(needs):
        reserved = stock.reserve_many(warehouses[warehouse_id], needs[warehouse_id], actor=actor)
        for key, reservations in reserved.items():
            links.extend(
                AllocationReservation(line_id=key, warehouse_id=warehouse_id, reservation=r, qty=r.qty)
                for r in reservations
            )
    return links


def _request_state(request: Request) -> dict[str, Any]:
    return {
        "status": request.status,
        "lines": [
            {
                "item": line.item.code,
                "qty": line.qty,
                "needed_by": line.needed_by,
                "approved_qty": line.approved_qty,
                "allocated_qty": line.allocated_qty,
            }
            for line in request.lines.select_related("item").order_by("id")
        ],
    }


def _check_status(request: Request, allowed: Sequence[str]) -> None:
    if request.status not in allowed:
        raise RequestStateInvalid(
            _("This step is not allowed while the request is %(status)s.")
            % {"status": RequestStatus(request.status).label},
            details={"status": [request.status]},
        )


def _check_shipment(shipment: Shipment, allowed: Sequence[str]) -> None:
    if shipment.status not in allowed:
        raise ShipmentStateInvalid(
            _("This step is not allowed while the shipment is %(status)s.")
            % {"status": ShipmentStatus(shipment.status).label},
            details={"status": [shipment.status]},
        )


def _number_shipment(shipment: Shipment) -> None:
    shipment.number = f"SH{timezone.localdate(shipment.created_at):%Y%m%d}-{shipment.pk:06d}"
    shipment.save(update_fields=["number"])
