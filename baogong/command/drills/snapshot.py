"""What a drill reads: stock at the start of the window, arrivals and demand during it, the
warehouses, recipients and vehicles, and the warehouses' status with the events applied.

Everything is read inside one transaction that is rolled back at the end: the lockdown puts the
warehouse under control through orgs' own in-transaction function (``change_site_status``), the
drill reads the statuses back, and the rollback takes the change and its audit event away again.

Reads of other apps' tables are read-only aggregates (no row of theirs is written); they belong
in those apps' ``queries.py`` once the drill's needs have settled.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.catalog.models import Item
from baogong.command.drills.events import DrillEvents
from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.distribution.choices import RequestStatus
from baogong.distribution.models import RequestLine
from baogong.fleet.choices import VehicleStatus
from baogong.fleet.models import Vehicle
from baogong.inventory.choices import STOCK_KINDS, LocationKind, QcStatus
from baogong.inventory.models import Lot, StockBalance, StockMove
from baogong.orgs import actions as orgs_actions
from baogong.orgs.choices import SiteKind, SiteStatus
from baogong.orgs.models import AdministrativeArea, Site

Key = tuple[int, int]  # (warehouse id, item id)
LIVE_DEMAND = (
    RequestStatus.SUBMITTED,
    RequestStatus.APPROVED,
    RequestStatus.PARTLY_ALLOCATED,
    RequestStatus.ALLOCATED,
    RequestStatus.DISPATCHED,
    RequestStatus.DELIVERED,
    RequestStatus.CLOSED,
)


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    name: str
    lat: float
    lon: float
    tier: int = 5
    areas: frozenset[str] = frozenset()
    window: tuple[int, int] | None = None  # receiving window, minutes after midnight


@dataclass(frozen=True)
class ItemInfo:
    id: int
    code: str
    name: str
    kg: float
    litres: float


@dataclass(frozen=True)
class Demand:
    line_id: int
    day: dt.date  # the day the claim enters the drill (needed-by, or the first day for backlog)
    item_id: int
    recipient_id: int
    tier: int
    qty: int
    needed_by: dt.date
    submitted_at: dt.datetime | None


@dataclass(frozen=True)
class FleetVehicle:
    id: int
    plate: str
    depot_id: int
    capacity: tuple[int, int, int]


@dataclass
class Snapshot:
    events: DrillEvents
    warehouses: dict[int, Place]
    status: dict[int, str]  # each warehouse's status now
    drill_status: dict[int, str]  # ... with the drill's events applied
    stock: dict[Key, int]  # usable units at the start of the window
    recalled_stock: dict[Key, int]  # of which from blacklisted suppliers
    arrivals: dict[dt.date, dict[Key, int]]
    recalled_arrivals: dict[dt.date, dict[Key, int]]
    demand: list[Demand]
    recipients: dict[int, Place]
    items: dict[int, ItemInfo]
    vehicles: list[FleetVehicle]
    skipped_recipients: list[str] = field(default_factory=list)  # no coordinates: left out
    reaches_today: bool = False

    def surge_applies(self, recipient_id: int) -> bool:
        area = self.events.surge_area
        return bool(area) and area in self.recipients[recipient_id].areas


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _minutes(value: dt.time | None) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


def _area_codes(areas: dict[int, AdministrativeArea], area_id: int | None) -> frozenset[str]:
    codes: set[str] = set()
    seen: set[int] = set()
    while area_id is not None and area_id in areas and area_id not in seen:
        seen.add(area_id)
        codes.add(areas[area_id].code)
        area_id = areas[area_id].parent_id
    return frozenset(codes)


def _place(site: Site, areas: dict[int, AdministrativeArea]) -> Place:
    start, end = _minutes(site.receiving_from), _minutes(site.receiving_until)
    window = None
    if start is not None or end is not None:
        window = (start if start is not None else 0, end if end is not None else 24 * 60 - 1)
    return Place(
        id=site.pk,
        code=site.code,
        name=site.name,
        lat=float(site.lat or 0),
        lon=float(site.lon or 0),
        tier=site.priority_tier,
        areas=_area_codes(areas, site.area_id),
        window=window,
    )


def _lots(events: DrillEvents, on: dt.date) -> tuple[set[int], set[int]]:
    """Usable lots (released, not expired on the first day) and, of those, the recalled ones."""
    usable = set(
        Lot.objects.filter(qc_status=QcStatus.RELEASED)
        .filter(Q(expiry__isnull=True) | Q(expiry__gte=on))
        .values_list("pk", flat=True)
    )
    recalled: set[int] = set()
    if events.blacklist:
        recalled = set(
            Lot.objects.filter(
                Q(supplier_ref__in=events.blacklist) | Q(supplier_name__in=events.blacklist), pk__in=usable
            ).values_list("pk", flat=True)
        )
    return usable, recalled


def _add(target: dict[Key, int], recalled: dict[Key, int], key: Key, lot: int, qty: int, bad: set[int]) -> None:
    target[key] = target.get(key, 0) + qty
    if lot in bad:
        recalled[key] = recalled.get(key, 0) + qty


def _stock_at_start(
    events: DrillEvents, warehouse_ids: Iterable[int], usable: set[int], recalled_lots: set[int], future: bool
) -> tuple[dict[Key, int], dict[Key, int]]:
    """Units in the warehouses' store locations when the window opens: the ledger up to that
    moment for a past window, what is available now (on hand − reserved) for a window that is
    still to come."""
    ids = list(warehouse_ids)
    stock: dict[Key, int] = {}
    recalled: dict[Key, int] = {}
    if future:
        rows = (
            StockBalance.objects.filter(location__site_id__in=ids, location__kind__in=list(STOCK_KINDS))
            .values("location__site_id", "item_id", "lot_id")
            .annotate(qty=Sum(F("on_hand") - F("reserved")))
        )
        for r in rows:
            if r["lot_id"] in usable and r["qty"]:
                _add(stock, recalled, (r["location__site_id"], r["item_id"]), r["lot_id"], int(r["qty"]), recalled_lots)
        return stock, recalled
    before = StockMove.objects.filter(at__lt=_start_of(events.window.start))
    ins = (
        before.filter(to_location__site_id__in=ids, to_location__kind__in=list(STOCK_KINDS))
        .values("to_location__site_id", "item_id", "lot_id")
        .annotate(qty=Sum("qty"))
    )
    outs = (
        before.filter(from_location__site_id__in=ids, from_location__kind__in=list(STOCK_KINDS))
        .values("from_location__site_id", "item_id", "lot_id")
        .annotate(qty=Sum("qty"))
    )
    per_lot: dict[tuple[int, int, int], int] = defaultdict(int)
    for r in ins:
        per_lot[(r["to_location__site_id"], r["item_id"], r["lot_id"])] += int(r["qty"])
    for r in outs:
        per_lot[(r["from_location__site_id"], r["item_id"], r["lot_id"])] -= int(r["qty"])
    for (site_id, item_id, lot_id), qty in per_lot.items():
        if qty > 0 and lot_id in usable:
            _add(stock, recalled, (site_id, item_id), lot_id, qty, recalled_lots)
    return stock, recalled


def _arrivals(
    events: DrillEvents, warehouse_ids: Iterable[int], usable: set[int], recalled_lots: set[int]
) -> tuple[dict[dt.date, dict[Key, int]], dict[dt.date, dict[Key, int]]]:
    """Receipts from suppliers into the warehouses during the window, by local day."""
    window = events.window
    rows = StockMove.objects.filter(
        at__gte=_start_of(window.start),
        at__lt=_start_of(window.end + dt.timedelta(days=1)),
        from_location__kind=LocationKind.SUPPLIER,
        to_location__site_id__in=list(warehouse_ids),
        to_location__kind__in=list(STOCK_KINDS),
    ).values_list("at", "to_location__site_id", "item_id", "lot_id", "qty")
    arrivals: dict[dt.date, dict[Key, int]] = defaultdict(dict)
    recalled: dict[dt.date, dict[Key, int]] = defaultdict(dict)
    for at, site_id, item_id, lot_id, qty in rows:
        if lot_id in usable:
            day = timezone.localtime(at).date()
            _add(arrivals[day], recalled[day], (site_id, item_id), lot_id, int(qty), recalled_lots)
    return dict(arrivals), dict(recalled)


def _demand(events: DrillEvents, future: bool) -> list[RequestLine]:
    """Request lines due in the window (approved quantity, or the requested one while undecided);
    for a window still to come also the open lines already due, as a backlog on the first day."""
    window = events.window
    due = Q(needed_by__gte=window.start, needed_by__lte=window.end, request__status__in=LIVE_DEMAND)
    if future:
        due |= Q(
            needed_by__lt=window.start,
            request__status__in=[RequestStatus.SUBMITTED, RequestStatus.APPROVED, RequestStatus.PARTLY_ALLOCATED],
        )
    return list(
        RequestLine.objects.filter(due)
        .select_related("request", "request__recipient")
        .order_by("needed_by", "request_id", "id")
    )


def _line_qty(line: RequestLine, outstanding: bool) -> int:
    """The units a line claims: all it was approved for (a past window, re-run from its start), or
    only what is not allocated yet (a window still to come: reserved stock is not available)."""
    if line.approved_qty is None:
        return line.qty
    return line.outstanding if outstanding else line.approved_qty


def _read(events: DrillEvents) -> Snapshot:
    today = timezone.localdate()
    window = events.window
    future = window.start > today
    areas = {a.pk: a for a in AdministrativeArea.objects.all()}
    sites = Site.objects.filter(kind=SiteKind.WAREHOUSE, is_active=True, lat__isnull=False, lon__isnull=False)
    warehouses = {s.pk: _place(s, areas) for s in sites.order_by("code")}
    status = {s.pk: s.status for s in sites}
    usable, recalled_lots = _lots(events, window.start)
    stock, recalled_stock = _stock_at_start(events, warehouses, usable, recalled_lots, future)
    arrivals, recalled_arrivals = _arrivals(events, warehouses, usable, recalled_lots)
    recipients: dict[int, Place] = {}
    skipped: set[str] = set()
    demand: list[Demand] = []
    for line in _demand(events, future):
        site = line.request.recipient
        if site.lat is None or site.lon is None:
            skipped.add(site.code)
            continue
        backlog = line.needed_by < window.start
        qty = _line_qty(line, future)
        if qty <= 0:
            continue
        if site.pk not in recipients:
            recipients[site.pk] = _place(site, areas)
        demand.append(
            Demand(
                line_id=line.pk,
                day=window.start if backlog else line.needed_by,
                item_id=line.item_id,
                recipient_id=site.pk,
                tier=site.priority_tier,
                qty=qty,
                needed_by=line.needed_by,
                submitted_at=line.request.submitted_at,
            )
        )
    item_ids = {d.item_id for d in demand} | {i for _, i in stock} | {i for a in arrivals.values() for _, i in a}
    items = {
        i.pk: ItemInfo(i.pk, i.code, i.name, float(i.weight_kg or 0), float(i.volume_m3 or 0) * 1000)
        for i in Item.objects.filter(pk__in=item_ids)
    }
    vehicles = [
        FleetVehicle(
            v.pk,
            v.plate,
            v.home_depot_id,
            (v.capacity_kg, int((v.capacity_m3 or 0) * 1000), v.capacity_cases),
        )
        for v in Vehicle.objects.filter(status=VehicleStatus.ACTIVE, home_depot_id__in=list(warehouses)).order_by(
            "plate"
        )
        if v.home_depot_id is not None
    ]
    return Snapshot(
        events=events,
        warehouses=warehouses,
        status=status,
        drill_status=dict(status),
        stock=stock,
        recalled_stock=recalled_stock,
        arrivals=arrivals,
        recalled_arrivals=recalled_arrivals,
        demand=demand,
        recipients=recipients,
        items=items,
        vehicles=vehicles,
        skipped_recipients=sorted(skipped),
        reaches_today=window.end >= today,
    )


class _Rollback(Exception):
    """Raised to leave the snapshot's transaction without committing anything."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__("drill snapshot taken")
        self.snapshot = snapshot


@retry_on_conflict
def take_snapshot(events: DrillEvents, *, actor: Actor) -> Snapshot:
    """Read the baseline, apply the events (lockdowns put the warehouses under control through
    orgs' in-transaction function), read the warehouses' statuses back, then roll everything back.

    On PostgreSQL the transaction is REPEATABLE READ, so every read sees the same moment (SQLite
    serialises writers anyway); a concurrent change of a locked-down warehouse is a serialization
    failure, and the snapshot is taken again."""
    own_transaction = not transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic(durable=own_transaction):
            connection = transaction.get_connection()
            if own_transaction and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            snapshot = _read(events)
            reason = _("Drill: locked down for %(days)d days from %(date)s") % {
                "days": events.window.days,
                "date": events.window.start.isoformat(),
            }
            for site in Site.objects.filter(code__in=set(events.lockdown)).order_by("pk"):
                orgs_actions.change_site_status(site, SiteStatus.UNDER_CONTROL, reason=reason, actor=actor)
            snapshot.drill_status = dict(
                Site.objects.filter(pk__in=list(snapshot.warehouses)).values_list("pk", "status")
            )
            raise _Rollback(snapshot)
    except _Rollback as done:
        return done.snapshot
