"""A shift's fuel sales at one station in one transaction (the replay, an attendant's batch).

The same checks, invariants and audit events as :func:`~baogong.fleet.actions.fuel.sell_fuel` for
each sale, with the shared work done once: the station's scope and sales site, the tanks locked
(in pk order, decision 0003), the sales inserted in one statement and audited in one insert, the
low-tank alert checked once per tank. Each sale is all-or-nothing (a savepoint around its ticket and
its ledger issue); a refused sale is answered with its error and does not stop the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.errors import DomainError
from baogong.core.retry import retry_on_conflict
from baogong.fleet import locks
from baogong.fleet.actions.fuel import (
    _check_sale,
    _green_channel,
    _low_tank_alert,
    _serve_ticket,
    _station_errors,
    ensure_sales_site,
)
from baogong.fleet.errors import FuelInvalid
from baogong.fleet.models import FuelQueueTicket, FuelSale, FuelTank
from baogong.orgs.models import Site


@dataclass(frozen=True)
class SaleInput:
    """One sale of :func:`sell_fuel_many` (the arguments of ``sell_fuel``)."""

    tank: FuelTank
    plate: str
    litres: int
    unit_price: Decimal
    ticket: FuelQueueTicket | None = None
    at: dt.datetime | None = None


@retry_on_conflict
def sell_fuel_many(station: Site, sales: Sequence[SaleInput], *, actor: Actor) -> list[FuelSale | DomainError]:
    """Sell ``sales`` at ``station`` (each as :func:`sell_fuel` would), in order, in one transaction.

    Answers, for each input, its sale or the error that refused it (``FuelInvalid`` — a field, a
    ticket served meanwhile, a tank of another station — or ``InsufficientStock``); a refused sale
    writes nothing. An actor outside the station's scope is refused whole (``NotFound``)."""
    if _station_errors(station, actor):
        raise FuelInvalid(details={"station": [_("%(site)s is not a fuel station.") % {"site": station.code}]})
    results: list[FuelSale | DomainError | None] = [None] * len(sales)
    checked: list[tuple[int, SaleInput, str, dt.datetime]] = []
    for i, sale in enumerate(sales):
        try:
            if sale.tank.station_id != station.pk:
                raise FuelInvalid(details={"tank": [_("The tank is not at this station.")]})
            plate = _check_sale(
                sale.tank, sale.plate, sale.litres, sale.unit_price, actor=actor, ticket=sale.ticket, based_on=""
            )
        except DomainError as exc:
            results[i] = exc
            continue
        checked.append((i, sale, plate, sale.at or timezone.now()))
    if checked:
        sales_site = ensure_sales_site(station)
        with transaction.atomic(durable=True):
            for i, outcome in _sell_checked(station, sales_site, checked, actor=actor).items():
                results[i] = outcome
    return [r for r in results if r is not None]


def _sell_checked(
    station: Site, sales_site: Site, checked: list[tuple[int, SaleInput, str, dt.datetime]], *, actor: Actor
) -> dict[int, FuelSale | DomainError]:
    """The checked sales, inside the caller's transaction: tanks locked, one savepoint per sale for
    its ticket and issue, then the sales, their audit events and the low-tank alerts."""
    from baogong.core.money import round_fen
    from baogong.fleet.choices import slot_of
    from baogong.fleet.queries import tank_level
    from baogong.inventory import ledger
    from baogong.inventory.ledger import IssueLineInput

    tanks = {pk: locks.tank_for_update(pk) for pk in sorted({s.tank.pk for _i, s, _p, _w in checked})}
    levels = {pk: tank_level(t) for pk, t in tanks.items()}
    crossed: dict[int, int] = {}  # tank pk -> its level after the sale that took it to the low level
    green: dict[tuple[str, dt.date], tuple[Any, Any]] = {}
    out: dict[int, FuelSale | DomainError] = {}
    rows: list[tuple[int, FuelSale]] = []
    for i, sale, plate, when in checked:
        locked = tanks[sale.tank.pk]
        local = timezone.localtime(when)
        key = (plate, local.date())
        if key not in green:
            green[key] = _green_channel(plate, when)
        vehicle, green_pass = green[key]
        reference = f"FUEL-{station.code}-{plate}-{local:%Y%m%d%H%M%S}"
        try:
            with transaction.atomic():
                if sale.ticket is not None and not _serve_ticket(sale.ticket, when):
                    raise FuelInvalid(
                        details={"ticket": [_("This queue ticket is already served or belongs to another station.")]}
                    )
                issue = ledger.issue(
                    station,
                    sales_site,
                    [IssueLineInput(item=locked.item, qty=sale.litres)],
                    actor=actor,
                    reference=reference,
                )
        except DomainError as exc:
            out[i] = exc
            continue
        levels[locked.pk] -= sale.litres
        if levels[locked.pk] <= locked.low_level_litres and locked.pk not in crossed:
            crossed[locked.pk] = levels[locked.pk]
        price = Decimal(sale.unit_price)
        rows.append(
            (
                i,
                FuelSale(
                    tank=locked,
                    plate=plate,
                    vehicle=vehicle,
                    vehicle_pass=green_pass,
                    green_channel=green_pass is not None,
                    litres=sale.litres,
                    unit_price=price,
                    amount=round_fen(price * sale.litres),
                    sold_at=when,
                    slot=slot_of(local.hour),
                    issue=issue,
                    seller=actor if getattr(actor, "pk", None) else None,
                ),
            )
        )
    FuelSale.objects.bulk_create([r for _i, r in rows])
    audit.record_many("sell_fuel", [audit.Entry(r, after=audit.snapshot(r)) for _i, r in rows], actor=actor)
    out.update(rows)
    for pk, level in crossed.items():
        _low_tank_alert(tanks[pk], actor=actor, level=level)
    return out
