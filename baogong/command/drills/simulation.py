"""Day by day through the window: allocation with the exact sourcing engine, then routing.

Each day the claims due that day join the backlog; the engine shares the stock of the warehouses
that may supply (normal status; in the drill, not locked down) by the tier policy and sources
each share at minimum unit-km; what is left unmet waits for the next day. The day's shipments
(one stop per warehouse and recipient, split to fit the largest vehicle of the depot) are routed
with PyVRP from each warehouse's own vehicles, with a fixed number of iterations and the drill's
seed, so the same snapshot and seed give the same answer on any machine.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from baogong.command.drills.snapshot import Demand, Key, Snapshot
from baogong.distribution import allocation as engine
from baogong.fleet import routing
from baogong.orgs.choices import SiteStatus

BASE_DETOUR = 1.3
ROUTING_ITERATIONS = 400
KEY_ITEMS = 5
Progress = Callable[[float], None]


@dataclass
class Outcome:
    demanded_by_tier: dict[int, int] = field(default_factory=dict)
    allocated_by_tier: dict[int, int] = field(default_factory=dict)
    unmet: dict[tuple[int, int], int] = field(default_factory=dict)  # (item, recipient) → units
    flows: dict[tuple[int, int, int], int] = field(default_factory=dict)  # (item, recipient, warehouse) → units
    km: float = 0.0
    vehicle_days: int = 0
    vehicles_peak: int = 0
    unrouted_stops: int = 0
    end_stock: dict[int, int] = field(default_factory=dict)  # item → units the open warehouses hold at the end
    days: list[dict[str, Any]] = field(default_factory=list)
    warehouses_used: list[int] = field(default_factory=list)
    vehicles_out: list[str] = field(default_factory=list)

    @property
    def unmet_units(self) -> int:
        return sum(self.unmet.values())


@dataclass
class _Claim:
    demand: Demand
    left: int


def _sources(snapshot: Snapshot, drill: bool) -> list[int]:
    """Warehouses that may supply: normal now when the window reaches today (a past window ran
    under whatever status held then); in the drill, minus those its events put out of normal
    (read back from the database after the events were applied)."""
    chosen = []
    for wh in snapshot.warehouses:
        if snapshot.reaches_today and snapshot.status[wh] != SiteStatus.NORMAL:
            continue
        if drill and snapshot.drill_status.get(wh) != snapshot.status[wh]:
            continue  # put out of normal by the drill's events
        chosen.append(wh)
    return chosen


def _fleet(snapshot: Snapshot, drill: bool) -> tuple[list[routing.Vehicle], list[str]]:
    vehicles = list(snapshot.vehicles)
    out: list[str] = []
    cut = snapshot.events.fleet_cut_pct if drill else 0
    if cut:
        n = round(len(vehicles) * cut / 100)
        rng = random.Random(snapshot.events.seed)  # noqa: S311 (a drill's draw, not security)
        removed = set(rng.sample(range(len(vehicles)), n))
        out = sorted(v.plate for i, v in enumerate(vehicles) if i in removed)
        vehicles = [v for i, v in enumerate(vehicles) if i not in removed]
    result = []
    for v in vehicles:
        depot = snapshot.warehouses[v.depot_id]
        result.append(
            routing.Vehicle(
                key=str(v.id),
                depot_key=str(v.depot_id),
                depot_lat=depot.lat,
                depot_lon=depot.lon,
                capacity=v.capacity,
                label=v.plate,
            )
        )
    return result, out


def _with_arrivals(stock: dict[Key, int], snapshot: Snapshot, day: dt.date, drill: bool) -> None:
    for key, qty in snapshot.arrivals.get(day, {}).items():
        stock[key] = stock.get(key, 0) + qty
    if drill:
        for key, qty in snapshot.recalled_arrivals.get(day, {}).items():
            stock[key] = stock.get(key, 0) - qty


def _surged(snapshot: Snapshot, demand: Demand, drill: bool) -> int:
    pct = snapshot.events.surge_pct
    if drill and pct and snapshot.surge_applies(demand.recipient_id):
        return math.ceil(demand.qty * (100 + pct) / 100)
    return demand.qty


def _allocate(
    snapshot: Snapshot, claims: list[_Claim], sources: list[int], stock: dict[Key, int]
) -> list[tuple[_Claim, list[tuple[int, int]]]]:
    """One engine run over the open claims; returns each claim's sources (warehouse, units)."""
    items = sorted({c.demand.item_id for c in claims})
    problem = engine.Problem(
        warehouses=tuple(
            engine.Warehouse(
                id=wh,
                lat=snapshot.warehouses[wh].lat,
                lon=snapshot.warehouses[wh].lon,
                stock={str(i): max(0, stock.get((wh, i), 0)) for i in items},
            )
            for wh in sources
        ),
        requests=tuple(
            engine.Request(
                id=c.demand.line_id,
                tier=c.demand.tier,
                lat=snapshot.recipients[c.demand.recipient_id].lat,
                lon=snapshot.recipients[c.demand.recipient_id].lon,
                needed_by=c.demand.needed_by,
                submitted_at=c.demand.submitted_at.replace(tzinfo=None) if c.demand.submitted_at else None,
                lines=(engine.Line(str(c.demand.item_id), c.left),),
            )
            for c in claims
        ),
    )
    result = engine.solve(problem)
    return [(c, [(int(w), q) for w, q in r.sources]) for c, r in zip(claims, result.lines, strict=True)]


def _stops(
    snapshot: Snapshot, loads: dict[tuple[int, int], list[int]], vehicles: list[routing.Vehicle]
) -> list[routing.Stop]:
    """One stop per warehouse and recipient, split into as many drops as the depot's largest
    vehicle needs (a load no vehicle could carry in one go is delivered in several)."""
    by_depot: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for v in vehicles:
        by_depot[v.depot_key].append(v.capacity)
    largest = {  # per dimension; 0 = some vehicle is not limited in it
        depot: tuple(0 if any(c[d] == 0 for c in caps) else max(c[d] for c in caps) for d in range(3))
        for depot, caps in by_depot.items()
    }
    stops = []
    for (wh, rcpt), (kg, litres, cases) in sorted(loads.items()):
        cap = largest.get(str(wh), (0, 0, 0))
        parts = max([1, *(math.ceil(d / c) for d, c in zip((kg, litres, cases), cap, strict=True) if c > 0)])
        place = snapshot.recipients[rcpt]
        for part in range(parts):
            share = tuple(d // parts + (1 if part < d % parts else 0) for d in (kg, litres, cases))
            stops.append(
                routing.Stop(
                    key=f"{wh}:{rcpt}:{part}",
                    lat=place.lat,
                    lon=place.lon,
                    demand=(share[0], share[1], share[2]),
                    window=place.window,
                    label=place.code,
                    depot_key=str(wh),
                )
            )
    return stops


def _route(
    stops: list[routing.Stop], vehicles: list[routing.Vehicle], options: routing.PlanOptions, cache: dict[Any, Any]
) -> routing.PlanResult:
    key = (tuple(stops), tuple(vehicles), options)
    if key not in cache:
        cache[key] = routing.plan_routes(stops, vehicles, options)
    result: routing.PlanResult = cache[key]
    return result


def simulate(
    snapshot: Snapshot,
    *,
    drill: bool,
    progress: Progress | None = None,
    cache: dict[Any, Any] | None = None,
) -> Outcome:
    """Run the window for the baseline (``drill=False``) or with the events (``drill=True``)."""
    events = snapshot.events
    cache = {} if cache is None else cache
    sources = _sources(snapshot, drill)
    vehicles, out = _fleet(snapshot, drill)
    detour = BASE_DETOUR * (100 + (events.road_closure_pct if drill else 0)) / 100
    options = routing.PlanOptions(
        detour_factor=detour, seconds=60.0, seed=events.seed, max_iterations=ROUTING_ITERATIONS
    )
    stock = dict(snapshot.stock)
    if drill:
        for key, qty in snapshot.recalled_stock.items():
            stock[key] = stock.get(key, 0) - qty
    by_day: dict[dt.date, list[Demand]] = defaultdict(list)
    for d in snapshot.demand:
        by_day[d.day].append(d)
    outcome = Outcome(warehouses_used=sources, vehicles_out=out)
    backlog: list[_Claim] = []
    dates = events.window.dates()
    for index, day in enumerate(dates):
        _with_arrivals(stock, snapshot, day, drill)
        for d in by_day.get(day, []):
            qty = _surged(snapshot, d, drill)
            outcome.demanded_by_tier[d.tier] = outcome.demanded_by_tier.get(d.tier, 0) + qty
            backlog.append(_Claim(d, qty))
        allocated = 0
        loads: dict[tuple[int, int], list[int]] = {}
        if backlog and sources:
            for claim, got in _allocate(snapshot, backlog, sources, stock):
                info = snapshot.items[claim.demand.item_id]
                for wh, qty in got:
                    stock[(wh, claim.demand.item_id)] -= qty
                    claim.left -= qty
                    allocated += qty
                    tier = claim.demand.tier
                    outcome.allocated_by_tier[tier] = outcome.allocated_by_tier.get(tier, 0) + qty
                    flow = (claim.demand.item_id, claim.demand.recipient_id, wh)
                    outcome.flows[flow] = outcome.flows.get(flow, 0) + qty
                    load = loads.setdefault((wh, claim.demand.recipient_id), [0, 0, 0])
                    load[0] += math.ceil(info.kg * qty)
                    load[1] += math.ceil(info.litres * qty)
                    load[2] += qty
            backlog = [c for c in backlog if c.left > 0]
        km, used = 0.0, 0
        if loads:
            stops = _stops(snapshot, loads, vehicles)
            planned = _route(stops, vehicles, options, cache)
            km = planned.km
            used = sum(1 for r in planned.routes if r.visits)
            outcome.unrouted_stops += len(planned.unassigned)
        outcome.km += km
        outcome.vehicle_days += used
        outcome.vehicles_peak = max(outcome.vehicles_peak, used)
        outcome.days.append(
            {
                "date": day.isoformat(),
                "allocated": allocated,
                "open": sum(c.left for c in backlog),
                "km": round(km, 1),
                "vehicles": used,
            }
        )
        if progress is not None:
            progress((index + 1) / len(dates))
    for claim in backlog:
        key = (claim.demand.item_id, claim.demand.recipient_id)
        outcome.unmet[key] = outcome.unmet.get(key, 0) + claim.left
    for (wh, item), qty in stock.items():
        if wh in sources and qty > 0:
            outcome.end_stock[item] = outcome.end_stock.get(item, 0) + qty
    outcome.km = round(outcome.km, 3)
    return outcome
