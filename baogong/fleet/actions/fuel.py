"""Fuel stations: tanks, deliveries, rosters, the queue, sales and low-level alerts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor
from baogong.core.notify import notify
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope
from baogong.fleet import locks
from baogong.fleet.choices import VehicleStatus
from baogong.fleet.errors import FuelInvalid
from baogong.fleet.models import (
    FuelQueueTicket,
    FuelSale,
    FuelShift,
    FuelTank,
    Vehicle,
    VehiclePass,
)
from baogong.orgs.models import Site

# --- fuel stations ----------------------------------------------------------------------------


def _station_errors(station: Site, actor: Actor) -> dict[str, list[str]]:
    """A station outside the actor's scope is, for that actor, not there (404); a site that is not
    a fuel station is a field error."""
    require_scope(actor, organisation_id=station.organisation_id, site_id=station.pk)
    errors: dict[str, list[str]] = {}
    if station.kind != "fuel_station":
        errors["station"] = [_("%(site)s is not a fuel station.") % {"site": station.code}]
    return errors


@retry_on_conflict
def create_tank(
    station: Site, item: Any, *, code: str, capacity_litres: int, low_level_litres: int, actor: Actor
) -> FuelTank:
    """A tank for one fuel grade: a bin location of the station in the stock ledger."""
    from baogong.inventory.locations import add_location

    errors = _station_errors(station, actor)
    if getattr(item, "unit", "") not in {"L", "升"}:
        errors["item"] = [_("A fuel grade is counted in litres (unit L).")]
    if capacity_litres <= 0:
        errors["capacity_litres"] = [_("The capacity must be positive.")]
    if not 0 <= low_level_litres < max(capacity_litres, 1):
        errors["low_level_litres"] = [_("The low level must be below the capacity.")]
    if FuelTank.objects.filter(station=station, item=item).exists():
        errors["item"] = [_("The station already has a tank of this grade.")]
    if FuelTank.objects.filter(station=station, code=code.strip()).exists() or not code.strip():
        errors["code"] = [_("Give a tank code not yet used at the station.")]
    if errors:
        raise FuelInvalid(details=errors)
    with transaction.atomic(durable=True):  # the tank and its bin location together, or neither
        location = add_location(station, code=f"TANK-{code.strip()}", name=f"{code.strip()} {item.name}", actor=actor)
        tank = FuelTank.objects.create(
            station=station,
            item=item,
            location=location,
            code=code.strip(),
            capacity_litres=capacity_litres,
            low_level_litres=low_level_litres,
        )
        audit.record("create_tank", tank, actor=actor, after=audit.snapshot(tank))
        return tank


@retry_on_conflict
def receive_fuel(tank: FuelTank, litres: int, unit_cost: Decimal, *, reference: str, actor: Actor) -> Any:
    """A delivery into a tank: a receipt in the stock ledger (refused if it would overfill the tank).

    One transaction: the tank is locked first (every sale and delivery of the tank takes it), so the
    level the overfill check reads is the level the receipt adds to."""
    from baogong.fleet.queries import tank_level
    from baogong.inventory import ledger
    from baogong.inventory.ledger import ReceiptLineInput

    errors = _station_errors(tank.station, actor)
    if litres <= 0:
        errors["litres"] = [_("Litres must be a whole number above zero.")]
        raise FuelInvalid(details=errors)
    line = ReceiptLineInput(
        item=tank.item, batch=reference or "fuel", qty=litres, unit_cost=Decimal(unit_cost), location=tank.location
    )
    with transaction.atomic(durable=True):
        locked = locks.tank_for_update(tank.pk)
        level = tank_level(locked)
        if level + litres > locked.capacity_litres:
            errors["litres"] = [
                _("The tank holds %(cap)s L; %(level)s L are in it.") % {"cap": locked.capacity_litres, "level": level}
            ]
        if errors:
            raise FuelInvalid(details=errors)
        receipt = ledger.receive(locked.station, [line], actor=actor, reference=reference, supplier_name=reference)
        if locked.low_alert_sent and level + litres > locked.low_level_litres:
            FuelTank.objects.filter(pk=locked.pk).update(low_alert_sent=False)
        return receipt


@retry_on_conflict
def set_roster(station: Site, date: dt.date, slot: str, attendants: Sequence[str], *, actor: Actor) -> list[FuelShift]:
    """Who staffs ``slot`` of ``date`` (replaces that slot's list)."""
    from baogong.fleet.choices import ShiftSlot

    errors = _station_errors(station, actor)
    if slot not in ShiftSlot.values:
        errors["slot"] = [_("Unknown shift.")]
    names = [n.strip() for n in attendants if n.strip()]
    if not names:
        errors["attendants"] = [_("Name at least one attendant.")]
    if errors:
        raise FuelInvalid(details=errors)
    with transaction.atomic(durable=True):
        existing = FuelShift.objects.filter(station=station, date=date, slot=slot)
        before = sorted(existing.values_list("attendant", flat=True))
        existing.delete()
        shifts = [
            FuelShift.objects.create(station=station, date=date, slot=slot, attendant=n) for n in dict.fromkeys(names)
        ]
        audit.record(
            "set_roster",
            station,
            actor=actor,
            before={"date": date, "slot": slot, "attendants": before},
            after={"date": date, "slot": slot, "attendants": [s.attendant for s in shifts]},
        )
        return shifts


def _normalise_plate(plate: str) -> str:
    return (plate or "").strip().upper()


def _green_channel(plate: str, when: dt.datetime) -> tuple[Vehicle | None, VehiclePass | None]:
    """The registered vehicle with this plate and, when it is active with a pass valid on ``when``'s
    day, that pass: the vehicle takes the green channel."""
    from django.utils import timezone

    from baogong.fleet.queries import first_valid_pass

    vehicle = Vehicle.objects.filter(plate=plate).first()
    first = first_valid_pass(vehicle, timezone.localtime(when).date()) if vehicle else None
    green = bool(vehicle and vehicle.status == VehicleStatus.ACTIVE and first)
    return vehicle, first if green else None


@retry_on_conflict
def arrive_at_station(station: Site, plate: str, *, actor: Actor, at: dt.datetime | None = None) -> FuelQueueTicket:
    """A vehicle joins the queue; a registered supply vehicle with a pass valid today takes the green channel."""
    from django.utils import timezone

    errors = _station_errors(station, actor)
    plate = _normalise_plate(plate)
    if not plate:
        errors["plate"] = [_("Give the plate.")]
    if errors:
        raise FuelInvalid(details=errors)
    when = at or timezone.now()
    vehicle, green_pass = _green_channel(plate, when)
    with transaction.atomic(durable=True):
        ticket = FuelQueueTicket.objects.create(
            station=station,
            plate=plate,
            vehicle=vehicle,
            vehicle_pass=green_pass,
            green_channel=green_pass is not None,
            arrived_at=when,
        )
        audit.record("arrive_at_station", ticket, actor=actor, after=audit.snapshot(ticket))
        return ticket


def ensure_sales_site(station: Site) -> Site:
    """The recipient site that fuel sold at ``station`` is issued to (created on first sale)."""
    from baogong.core.audit import SystemActor
    from baogong.orgs.actions import create_site
    from baogong.orgs.errors import SiteInvalid

    code = f"{station.code}-SALE"
    existing = Site.objects.filter(code=code).first()
    if existing is not None:
        return existing
    try:
        return create_site(
            {
                "code": code,
                "name": _("%(station)s fuel sales") % {"station": station.name},
                "kind": "customer",
                "organisation": station.organisation,
                "address": station.address,
                "lat": station.lat,
                "lon": station.lon,
            },
            actor=SystemActor("fleet fuel sales"),
        )
    except (SiteInvalid, IntegrityError):
        # the station's first sales at two pumps at once: the other one created it
        existing = Site.objects.filter(code=code).first()
        if existing is None:
            raise
        return existing


@retry_on_conflict
def sell_fuel(
    tank: FuelTank,
    plate: str,
    litres: int,
    unit_price: Decimal,
    *,
    actor: Actor,
    ticket: FuelQueueTicket | None = None,
    at: dt.datetime | None = None,
    based_on: str = "",
) -> FuelSale:
    """Fuel a vehicle: an issue from the tank in the ledger, the sale logged (against the pass for a
    green-channel vehicle), the queue ticket served; a low-level alert when the tank runs low.

    ``based_on`` (a sale the attendant's phone recorded offline, the tank level its page showed):
    the fuel is already in the vehicle, so what no longer fits — the queue ticket served by someone
    else meanwhile, a tank whose stock changed and holds less than the sale — raises
    ``StaleVersion`` and writes nothing (the event is kept for review) instead of a refusal."""
    from django.utils import timezone

    from baogong.core.field import StaleVersion
    from baogong.core.money import round_fen
    from baogong.fleet.choices import slot_of
    from baogong.fleet.queries import tank_level
    from baogong.inventory import ledger
    from baogong.inventory.ledger import InsufficientStock, IssueLineInput

    plate = _check_sale(tank, plate, litres, unit_price, actor=actor, ticket=ticket, based_on=based_on)
    when = at or timezone.now()
    vehicle, green_pass = _green_channel(plate, when)
    reference = f"FUEL-{tank.station.code}-{plate}-{timezone.localtime(when):%Y%m%d%H%M%S}"
    sales_site = ensure_sales_site(tank.station)
    # One transaction (decision 0003): the tank (the document acted on), then the balances through
    # the ledger; a crash can no longer leave fuel issued without its sale, and the ticket is
    # served only if nobody served it meanwhile.
    with transaction.atomic(durable=True):
        locked = locks.tank_for_update(tank.pk)
        if ticket is not None and not _serve_ticket(ticket, when):
            _ticket_taken(ticket, based_on=based_on)
        try:
            issue = ledger.issue(
                tank.station, sales_site, [IssueLineInput(item=tank.item, qty=litres)], actor=actor, reference=reference
            )
        except InsufficientStock:
            if not based_on:
                raise
            raise StaleVersion(
                current=f"{tank.code}:{tank_level(tank)}",
                reason=_("Tank %(tank)s holds less than this sale now: its stock changed after the page was opened.")
                % {"tank": tank.code},
            ) from None
        sale = FuelSale.objects.create(
            tank=locked,
            plate=plate,
            vehicle=vehicle,
            vehicle_pass=green_pass,
            green_channel=green_pass is not None,
            litres=litres,
            unit_price=Decimal(unit_price),
            amount=round_fen(Decimal(unit_price) * litres),
            sold_at=when,
            slot=slot_of(timezone.localtime(when).hour),
            issue=issue,
            seller=actor if getattr(actor, "pk", None) else None,
        )
        audit.record("sell_fuel", sale, actor=actor, after=audit.snapshot(sale))
        _low_tank_alert(locked, actor=actor)
        return sale


def _serve_ticket(ticket: FuelQueueTicket, when: dt.datetime) -> bool:
    """Mark the queue ticket served, unless someone served it first (a conditional update, inside
    the sale's transaction): answers whether this sale served it."""
    return FuelQueueTicket.objects.filter(pk=ticket.pk, served_at__isnull=True).update(served_at=when) == 1


def _ticket_taken(ticket: FuelQueueTicket, *, based_on: str) -> None:
    """The ticket was served by another sale between the check and the lock: raise as the check
    would have (a stale offline record, or a field error), so nothing of this sale is written."""
    from baogong.core.field import StaleVersion

    if based_on:
        raise StaleVersion(
            current="served",
            reason=_("Queue ticket %(plate)s was served by someone else meanwhile.") % {"plate": ticket.plate},
        )
    raise FuelInvalid(details={"ticket": [_("This queue ticket is already served or belongs to another station.")]})


def _check_sale(
    tank: FuelTank,
    plate: str,
    litres: int,
    unit_price: Decimal,
    *,
    actor: Actor,
    ticket: FuelQueueTicket | None,
    based_on: str,
) -> str:
    """The checks of :func:`sell_fuel` before anything is written; answers the normalised plate."""
    from django.utils import timezone

    from baogong.core.field import StaleVersion

    errors = _station_errors(tank.station, actor)
    plate = _normalise_plate(plate)
    if not plate:
        errors["plate"] = [_("Give the plate.")]
    if not isinstance(litres, int) or litres <= 0:
        errors["litres"] = [_("Litres must be a whole number above zero.")]
    if unit_price is None or Decimal(unit_price) <= 0:
        errors["unit_price"] = [_("The price must be positive.")]
    if ticket is not None and ticket.station_id != tank.station_id:
        errors["ticket"] = [_("This queue ticket is already served or belongs to another station.")]
    elif ticket is not None and ticket.served_at is not None:
        if based_on and not errors:
            raise StaleVersion(
                current=f"served {timezone.localtime(ticket.served_at):%H:%M}",
                reason=_("Queue ticket %(plate)s was served by someone else meanwhile.") % {"plate": ticket.plate},
            )
        errors["ticket"] = [_("This queue ticket is already served or belongs to another station.")]
    if errors:
        raise FuelInvalid(details=errors)
    return plate


def _low_tank_alert(locked: FuelTank, *, actor: Actor, level: int | None = None) -> int | None:
    """Notify the station once when the (locked) tank is at or below its low level; answers the level
    when an alert was sent. The flag is cleared by the next delivery that lifts the level. ``level``:
    the tank's level when the caller knows it (a batch of sales: the level the crossing sale left)."""
    from baogong.core.models import Notification
    from baogong.fleet.queries import tank_level

    level = tank_level(locked) if level is None else level
    if level > locked.low_level_litres or locked.low_alert_sent:
        return None
    notify(
        _("Tank %(tank)s at %(station)s is low: %(level)s L left")
        % {"tank": locked.code, "station": locked.station.name, "level": level},
        _("Order a delivery."),
        level=Notification.Level.WARNING,
        subject="shortage",
        organisation_id=locked.station.organisation_id,
        site_id=locked.station_id,
    )
    locked.low_alert_sent = True
    locked.save(update_fields=["low_alert_sent", "updated_at"])
    audit.record("send_low_tank_alert", locked, actor=actor, after={"level": level})
    return level


@retry_on_conflict
def send_low_tank_alerts(*, actor: Actor) -> list[FuelTank]:
    """The daily check of every tank (the scheduled job): alert on the low ones not yet alerted —
    a tank can run low without a sale through the app (a leak, a stock count, a missed delivery)."""
    sent: list[FuelTank] = []
    with transaction.atomic(durable=True):
        for tank in locks.tanks_to_alert_for_update():
            if _low_tank_alert(tank, actor=actor) is not None:
                sent.append(tank)
    return sent
