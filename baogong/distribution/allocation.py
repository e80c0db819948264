"""The allocation engine: fair shares of scarce stock and minimum-distance sourcing.

Pure Python (no database). It implements exactly the policy of DESIGN.md "Allocation problem":

1. Per item, priority tiers strictly ascending; a tier is served in full before the next gets
   anything.
2. In the tier that exhausts supply each line gets ``floor(q*A/D)`` (q its quantity, A what is
   left, D the tier's total); the units still left go one each to the largest remainders
   ``q*A mod D``, ties broken by earlier ``needed_by``, then earlier ``submitted_at``, then id
   ascending. All arithmetic is on integers.
3. Sourcing per item is an exact minimum-cost transportation problem, cost = units x haversine km
   (R = 6371.0), solved as an exact min-cost flow (successive shortest paths, see ``_transport``);
   the tests check it against brute force and against HiGHS's LP optimum.

``solve(problem)`` returns an :class:`Allocation` with the per-line explanation (tier, share,
remainder, rank, sources) that the allocation-run preview shows; ``answer_json`` turns it into the
contract's answer ``{"lines": [{"request", "item", "qty", "sources": [{"warehouse", "qty"}]}]}``.
"""

from __future__ import annotations

import gc
import heapq
import math
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from baogong.core.geo import EARTH_RADIUS_KM

Ident = str | int

BASIS_FULL = "full"  # the line's tier was served in full
BASIS_PRO_RATA = "pro_rata"  # the line is in the tier that exhausted supply
BASIS_SHORTAGE = "after_shortage"  # a higher-priority tier used up all stock
BASIS_NO_STOCK = "no_stock"  # the chosen warehouses hold none of the item


class ProblemError(ValueError):
    """The problem is malformed. ``errors`` lists every problem as ``"path: message"``."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True)
class Warehouse:
    id: Ident
    lat: float
    lon: float
    stock: Mapping[str, int]


class Line(NamedTuple):
    item: str
    qty: int


@dataclass(frozen=True)
class Request:
    id: Ident
    tier: int
    lat: float
    lon: float
    needed_by: date | None
    submitted_at: datetime | None
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Problem:
    warehouses: tuple[Warehouse, ...]
    requests: tuple[Request, ...]


@dataclass(init=False)
class LineResult:
    """What one request line gets and why.

    The constructor sets the six identifying fields (and a fresh ``sources`` list); the others
    read their class defaults until the engine sets them (a tenth of the solve time otherwise).
    """

    request_index: int
    line_index: int
    request: Ident
    item: str
    requested: int
    tier: int
    qty: int = 0
    basis: str = BASIS_NO_STOCK
    available: int = 0  # A: units left for the line's tier when it was served
    tier_total: int = 0  # D: the tier's total claim
    share: int = 0  # floor(q*A/D) (or q when served in full)
    remainder: int = 0  # q*A mod D
    rank: int | None = None  # position in the largest-remainder order (pro-rata tier only)
    extra_unit: bool = False  # received one of the leftover units
    sources: list[tuple[Ident, int]] = field(default_factory=list)
    cost_km: float = 0.0  # sum of units x km for this line

    def __init__(self, request_index: int, line_index: int, request: Ident, item: str, requested: int, tier: int):
        self.request_index = request_index
        self.line_index = line_index
        self.request = request
        self.item = item
        self.requested = requested
        self.tier = tier
        self.sources = []


@dataclass
class Allocation:
    lines: list[LineResult]

    @property
    def total_cost(self) -> float:
        return sum(r.cost_km for r in self.lines)


# --------------------------------------------------------------------------- parsing


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ident(value: Any, path: str, errors: list[str]) -> Ident:
    if isinstance(value, str) and value:
        return value
    if _is_int(value):
        return int(value)
    errors.append(f"{path}: must be a non-empty string or an integer")
    return ""


def _coord(value: Any, path: str, limit: float, errors: list[str]) -> float:
    if (isinstance(value, int | float) and not isinstance(value, bool)) and math.isfinite(value):
        if -limit <= value <= limit:
            return float(value)
        errors.append(f"{path}: must be between -{limit:g} and {limit:g}")
        return 0.0
    errors.append(f"{path}: must be a number")
    return 0.0


def _units(value: Any, path: str, errors: list[str]) -> int:
    if _is_int(value) and value >= 0:
        return int(value)
    errors.append(f"{path}: must be a whole number of issue units >= 0")
    return 0


def _parse_date(value: Any, path: str, errors: list[str]) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    errors.append(f"{path}: must be a date YYYY-MM-DD")
    return None


def _parse_datetime(value: Any, path: str, errors: list[str]) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            # Compare aware times in UTC; naive times are taken as given.
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC).replace(tzinfo=None)
            return parsed
    errors.append(f"{path}: must be an ISO 8601 date-time")
    return None


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: parsing and solving allocate hundreds of thousands of
    small acyclic objects, and the collections they trigger cost as much as the work itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_problem(data: Any) -> Problem:
    """Validate the JSON contract and build a :class:`Problem`; raises :class:`ProblemError`."""
    with _gc_paused():
        problem = _parse_fast(data)
        return problem if problem is not None else _parse_checked(data)


def _fast_ident(value: Any) -> Ident | None:
    kind = type(value)
    if (kind is str and value) or kind is int:
        return value
    return None


def _fast_coord(value: Any, limit: float) -> float | None:
    kind = type(value)
    if (kind is float or kind is int) and -limit <= value <= limit:
        return float(value)
    return None


def _parse_fast(data: Any) -> Problem | None:
    """The common case in one quick pass: exactly what :func:`_parse_checked` builds for a valid
    problem of plain JSON types, or ``None`` at the first doubt (then the checked parser runs and
    lists every error). Dates and times repeat a lot, so each distinct text is parsed once."""
    if type(data) is not dict:
        return None
    raw_warehouses = data.get("warehouses")
    raw_requests = data.get("requests")
    if type(raw_warehouses) is not list or type(raw_requests) is not list:
        return None
    warehouses: list[Warehouse] = []
    seen: set[Ident] = set()
    for raw in raw_warehouses:
        if type(raw) is not dict:
            return None
        wid = _fast_ident(raw.get("id"))
        lat = _fast_coord(raw.get("lat"), 90)
        lon = _fast_coord(raw.get("lon"), 180)
        raw_stock = raw.get("stock", {})
        if wid is None or wid in seen or lat is None or lon is None or type(raw_stock) is not dict:
            return None
        seen.add(wid)
        stock: dict[str, int] = {}
        for item, qty in raw_stock.items():
            if type(qty) is not int or qty < 0:
                return None
            stock[str(item)] = qty
        warehouses.append(Warehouse(wid, lat, lon, stock))
    dates: dict[str, date | None] = {}
    times: dict[str, datetime | None] = {}
    requests: list[Request] = []
    seen = set()
    for raw in raw_requests:
        if type(raw) is not dict:
            return None
        rid = _fast_ident(raw.get("id"))
        tier = raw.get("tier")
        lat = _fast_coord(raw.get("lat"), 90)
        lon = _fast_coord(raw.get("lon"), 180)
        raw_lines = raw.get("lines")
        if (
            rid is None
            or rid in seen
            or type(tier) is not int
            or tier < 1
            or lat is None
            or lon is None
            or type(raw_lines) is not list
        ):
            return None
        seen.add(rid)
        needed_by: date | None = None
        text = raw.get("needed_by")
        if text is not None:
            if type(text) is not str:
                return None
            if text in dates:
                needed_by = dates[text]
            else:
                needed_by = dates[text] = _parse_date(text, "", [])
            if needed_by is None:
                return None
        submitted_at: datetime | None = None
        text = raw.get("submitted_at")
        if text is not None:
            if type(text) is not str:
                return None
            if text in times:
                submitted_at = times[text]
            else:
                submitted_at = times[text] = _parse_datetime(text, "", [])
            if submitted_at is None:
                return None
        lines: list[Line] = []
        for raw_line in raw_lines:
            if type(raw_line) is not dict:
                return None
            item = raw_line.get("item")
            qty = raw_line.get("qty")
            if type(item) is not str or not item or type(qty) is not int or qty < 0:
                return None
            lines.append(Line(item, qty))
        requests.append(Request(rid, tier, lat, lon, needed_by, submitted_at, tuple(lines)))
    return Problem(tuple(warehouses), tuple(requests))


def _parse_checked(data: Any) -> Problem:
    """Validate field by field, collecting every error; raises :class:`ProblemError`."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise ProblemError(["problem: must be an object with 'warehouses' and 'requests'"])
    raw_warehouses = data.get("warehouses")
    raw_requests = data.get("requests")
    if not isinstance(raw_warehouses, list):
        errors.append("warehouses: must be a list")
        raw_warehouses = []
    if not isinstance(raw_requests, list):
        errors.append("requests: must be a list")
        raw_requests = []

    warehouses: list[Warehouse] = []
    seen_w: set[Ident] = set()
    for i, raw in enumerate(raw_warehouses):
        path = f"warehouses[{i}]"
        if not isinstance(raw, dict):
            errors.append(f"{path}: must be an object")
            continue
        wid = _ident(raw.get("id"), f"{path}.id", errors)
        if wid in seen_w and wid != "":
            errors.append(f"{path}.id: duplicate warehouse id {wid!r}")
        seen_w.add(wid)
        lat = _coord(raw.get("lat"), f"{path}.lat", 90, errors)
        lon = _coord(raw.get("lon"), f"{path}.lon", 180, errors)
        raw_stock = raw.get("stock", {})
        stock: dict[str, int] = {}
        if not isinstance(raw_stock, dict):
            errors.append(f"{path}.stock: must be an object mapping item to units")
        else:
            for item, qty in raw_stock.items():
                stock[str(item)] = _units(qty, f"{path}.stock.{item}", errors)
        warehouses.append(Warehouse(wid, lat, lon, stock))

    requests: list[Request] = []
    seen_r: set[Ident] = set()
    for i, raw in enumerate(raw_requests):
        path = f"requests[{i}]"
        if not isinstance(raw, dict):
            errors.append(f"{path}: must be an object")
            continue
        rid = _ident(raw.get("id"), f"{path}.id", errors)
        if rid in seen_r and rid != "":
            errors.append(f"{path}.id: duplicate request id {rid!r}")
        seen_r.add(rid)
        tier: Any = raw.get("tier")
        if not (_is_int(tier) and tier >= 1):
            errors.append(f"{path}.tier: must be an integer >= 1")
            tier = 1
        lat = _coord(raw.get("lat"), f"{path}.lat", 90, errors)
        lon = _coord(raw.get("lon"), f"{path}.lon", 180, errors)
        needed_by = _parse_date(raw.get("needed_by"), f"{path}.needed_by", errors)
        submitted_at = _parse_datetime(raw.get("submitted_at"), f"{path}.submitted_at", errors)
        raw_lines = raw.get("lines")
        lines: list[Line] = []
        if not isinstance(raw_lines, list):
            errors.append(f"{path}.lines: must be a list")
        else:
            for j, raw_line in enumerate(raw_lines):
                lpath = f"{path}.lines[{j}]"
                if not isinstance(raw_line, dict):
                    errors.append(f"{lpath}: must be an object")
                    continue
                item = raw_line.get("item")
                if not (isinstance(item, str) and item) and not _is_int(item):
                    errors.append(f"{lpath}.item: must be a non-empty string")
                    item = ""
                lines.append(Line(str(item), _units(raw_line.get("qty"), f"{lpath}.qty", errors)))
        requests.append(Request(rid, int(tier), lat, lon, needed_by, submitted_at, tuple(lines)))

    if errors:
        raise ProblemError(errors)
    return Problem(tuple(warehouses), tuple(requests))


# --------------------------------------------------------------------------- shares


def _id_key(value: Ident) -> tuple[int, int, str]:
    return (0, value, "") if isinstance(value, int) else (1, 0, value)


def _tie_key(req: Request, line_index: int) -> tuple[Any, ...]:
    # Missing dates sort after every real date.
    return (
        (0, req.needed_by) if req.needed_by is not None else (1,),
        (0, req.submitted_at) if req.submitted_at is not None else (1,),
        _id_key(req.id),
        line_index,
    )


def _share_item(results: list[LineResult], requests: Sequence[Request], supply: int) -> None:
    """Fill qty/basis/share/remainder of the given lines of one item, in place."""
    by_tier: dict[int, list[LineResult]] = defaultdict(list)
    for r in results:
        by_tier[r.tier].append(r)
    left = supply
    for tier in sorted(by_tier):
        group = by_tier[tier]
        total = sum(r.requested for r in group)
        for r in group:
            r.available = left
            r.tier_total = total
        if supply == 0:
            for r in group:
                r.basis = BASIS_NO_STOCK
            continue
        if left == 0:
            for r in group:
                r.basis = BASIS_SHORTAGE
            continue
        if total <= left:
            for r in group:
                r.basis = BASIS_FULL
                r.share = r.qty = r.requested
            left -= total
            continue
        # The tier that exhausts supply: largest remainders with exact integers.
        given = 0
        for r in group:
            r.basis = BASIS_PRO_RATA
            r.share, r.remainder = divmod(r.requested * left, total)
            r.qty = r.share
            given += r.share
        leftover = left - given
        order = sorted(
            group,
            key=lambda r: (-r.remainder, *_tie_key(requests[r.request_index], r.line_index)),
        )
        for rank, r in enumerate(order, start=1):
            r.rank = rank
            if rank <= leftover:
                r.qty += 1
                r.extra_unit = True
        left = 0


# --------------------------------------------------------------------------- sourcing

# Each request's place index, and per place the km to every warehouse and the warehouses by
# ascending km (see ``_distances``).
_Distances = tuple[list[int], list[list[float]], list[list[int]]]


def _transport(
    costs: Sequence[Sequence[float]],
    demand: list[int],
    supply: list[int],
    ranked: Sequence[Sequence[int]] | None = None,
) -> list[list[int]]:
    """Exact minimum-cost transportation: flows[i][w] with sum_w = demand[i], sum_i <= supply[w].

    Successive shortest paths, one demand point at a time, on the residual network compressed
    to the warehouses: an edge a -> b means "some point j now served by b switches to a",
    costing ``c[j][a] - c[j][b]`` (one heap per pair holds the candidates). Augmenting along a
    shortest path keeps the residual network free of negative cycles, so the flow stays optimal
    for the demands served so far (the classical SSP invariant). Paths start at a warehouse with
    spare capacity (distance 0; every other distance is >= 0 by optimality, so only edges into
    full warehouses can shorten a path and only their heaps are kept, built when the warehouse
    fills up), so when the nearest warehouse has spare capacity the point is served there
    directly without a search; when every point's nearest warehouse can take all its demand,
    that is the answer. ``ranked[i]`` (optional) lists the warehouses by ascending cost for
    point i, ties by index. Requires sum(demand) <= sum(supply).
    """
    n, m = len(demand), len(supply)
    eps = 1e-9
    flows = [[0] * m for _ in range(n)]
    spare = list(supply)
    if n == 0:
        return flows
    if m == 1:
        nearest_of = [0] * n
    else:
        if ranked is None:
            ranked = [sorted(range(m), key=row.__getitem__) for row in costs]
        nearest_of = [r[0] for r in ranked]
    load = [0] * m
    for i, w in enumerate(nearest_of):
        load[w] += demand[i]
    if all(load[w] <= supply[w] for w in range(m)):
        for i, w in enumerate(nearest_of):
            flows[i][w] = demand[i]
        return flows

    full = [False] * m  # a full warehouse has its heaps: heaps[a][b] for b full
    heaps: list[list[list[tuple[float, int]]]] = [[[] for _ in range(m)] for _ in range(m)]
    pairs = [(a, b) for b in range(m) for a in range(m) if a != b]

    def fill_up(b: int) -> None:
        full[b] = True
        served = [j for j in range(n) if flows[j][b]]
        for a in range(m):
            if a != b:
                heap = [(costs[j][a] - costs[j][b], j) for j in served]
                heapq.heapify(heap)
                heaps[a][b] = heap

    def add_flow(j: int, w: int, qty: int) -> None:
        row = flows[j]
        if full[w] and row[w] == 0 and qty > 0:
            crow = costs[j]
            cw = crow[w]
            for a in range(m):
                if a != w:
                    heapq.heappush(heaps[a][w], (crow[a] - cw, j))
        row[w] += qty

    for w in range(m):
        if spare[w] == 0:
            fill_up(w)
    # Any order keeps the flow optimal; serving the points that lose most by a second choice
    # first (largest regret) makes later points rarely need to displace earlier ones.
    if ranked is not None:
        neg_regret = [costs[i][r[0]] - costs[i][r[1]] for i, r in enumerate(ranked)]
        order = sorted(range(n), key=neg_regret.__getitem__)
    else:
        order = list(range(n))
    inf = math.inf
    heappop = heapq.heappop
    edges: list[list[tuple[float, int] | None]] = [[None] * m for _ in range(m)]
    for i in order:
        need = demand[i]
        nearest = nearest_of[i]
        left = spare[nearest]
        if left:  # the nearest warehouse is not full, so it keeps no heaps yet
            if need < left:
                spare[nearest] = left - need
                flows[i][nearest] = need
                continue
            spare[nearest] = 0
            flows[i][nearest] = left
            need -= left
            fill_up(nearest)
        row = costs[i]
        while need:
            # The cheapest candidate of every edge into a full warehouse (stale entries dropped).
            for a, b in pairs:
                if full[b]:
                    heap = heaps[a][b]
                    while heap and flows[heap[0][1]][b] == 0:
                        heappop(heap)
                    edges[a][b] = heap[0] if heap else None
            dist = [0.0 if spare[w] > 0 else inf for w in range(m)]
            pred: list[tuple[int, int] | None] = [None] * m  # (from warehouse, switching point)
            for _ in range(m - 1):  # Bellman-Ford on the m warehouses
                changed = False
                for a in range(m):
                    if dist[a] == inf:
                        continue
                    for b in range(m):
                        if b == a or not full[b]:
                            continue
                        edge = edges[a][b]
                        if edge is not None and dist[a] + edge[0] < dist[b] - eps:
                            dist[b] = dist[a] + edge[0]
                            pred[b] = (a, edge[1])
                            changed = True
                if not changed:
                    break
            end = 0
            best = dist[0] + row[0]
            for w in range(1, m):
                if dist[w] + row[w] < best:
                    end, best = w, dist[w] + row[w]
            if dist[end] == inf:
                raise RuntimeError("transportation problem is infeasible")
            path: list[tuple[int, int, int]] = []  # (to warehouse, point, from warehouse)
            w = end
            step = pred[w]
            while step is not None:
                a, j = step
                path.append((a, j, w))
                w = a
                step = pred[w]
                if len(path) > m:
                    raise RuntimeError("transportation search found a cycle")
            qty = min(need, spare[w], *(flows[j][b] for _, j, b in path))
            spare[w] -= qty
            for a, j, b in path:
                flows[j][b] -= qty
                add_flow(j, a, qty)
            add_flow(i, end, qty)
            need -= qty
            if spare[w] == 0:
                fill_up(w)
    return flows


def _source_item(item: str, results: list[LineResult], problem: Problem, km: _Distances) -> None:
    warehouses = problem.warehouses
    wh_idx = [w for w, wh in enumerate(warehouses) if wh.stock.get(item, 0) > 0]
    served = [r for r in results if r.qty > 0]
    if not served or not wh_idx:
        return
    # Lines of requests at the same place have the same costs: solve per place, split after.
    place_of, rows, ranks = km
    places: dict[int, list[LineResult]] = {}
    for r in served:
        place = place_of[r.request_index]
        group = places.get(place)
        if group is None:
            places[place] = [r]
        else:
            group.append(r)
    groups = list(places.values())
    ranked: list[list[int]] | None = None
    if len(wh_idx) == len(warehouses):
        costs: list[Sequence[float]] = [rows[place] for place in places]
        ranked = [ranks[place] for place in places]
    else:
        costs = [[rows[place][w] for w in wh_idx] for place in places]
    demand = [g[0].qty if len(g) == 1 else sum(r.qty for r in g) for g in groups]
    supply = [warehouses[w].stock[item] for w in wh_idx]
    flows = _transport(costs, demand, supply, ranked)
    ids = [warehouses[w].id for w in wh_idx]
    for g, flow, cost_row in zip(groups, flows, costs, strict=True):
        if len(g) == 1:  # the line takes the whole flow of its place
            r = g[0]
            cost = 0.0
            for k, take in enumerate(flow):
                if take:
                    r.sources.append((ids[k], take))
                    cost += take * cost_row[k]
            r.cost_km = cost
            continue
        left = list(flow)
        for r in g:
            need = r.qty
            for k, wid in enumerate(ids):
                take = min(need, left[k])
                if take:
                    r.sources.append((wid, take))
                    r.cost_km += take * cost_row[k]
                    left[k] -= take
                    need -= take


# --------------------------------------------------------------------------- entry points


def _distances(problem: Problem) -> _Distances:
    """Each request's place and, per distinct place, the km to every warehouse and their order.

    The same operations as ``baogong.core.geo.haversine_km`` (so the same floats), with the
    warehouses' terms computed once."""
    ends = [(math.radians(wh.lat), math.cos(math.radians(wh.lat)), wh.lon) for wh in problem.warehouses]
    radians, sin, cos, asin, sqrt = math.radians, math.sin, math.cos, math.asin, math.sqrt
    diameter = 2 * EARTH_RADIUS_KM
    index: dict[tuple[float, float], int] = {}
    rows: list[list[float]] = []
    ranks: list[list[int]] = []
    warehouse_range = range(len(ends))
    place_of: list[int] = []
    for req in problem.requests:
        key = (req.lat, req.lon)
        place = index.get(key)
        if place is None:
            place = index[key] = len(rows)
            phi1 = radians(req.lat)
            cos1 = cos(phi1)
            lon1 = req.lon
            row = []
            for phi2, cos2, lon2 in ends:
                a = sin((phi2 - phi1) / 2) ** 2 + cos1 * cos2 * sin(radians(lon2 - lon1) / 2) ** 2
                row.append(diameter * asin(min(1.0, sqrt(a))))
            rows.append(row)
            ranks.append(sorted(warehouse_range, key=row.__getitem__))
        place_of.append(place)
    return place_of, rows, ranks


def solve(problem: Problem) -> Allocation:
    """Allocate every item of the problem by the policy; returns per-line results in input order."""
    with _gc_paused():
        results: list[LineResult] = []
        by_item: dict[str, list[LineResult]] = {}
        for ri, req in enumerate(problem.requests):
            rid, tier = req.id, req.tier
            for li, (item, qty) in enumerate(req.lines):
                r = LineResult(ri, li, rid, item, qty, tier)
                results.append(r)
                group = by_item.get(item)
                if group is None:
                    by_item[item] = [r]
                else:
                    group.append(r)
        km = _distances(problem)
        for item, item_results in by_item.items():
            supply = sum(wh.stock.get(item, 0) for wh in problem.warehouses)
            _share_item(item_results, problem.requests, supply)
            _source_item(item, item_results, problem, km)
        return Allocation(results)


def answer_json(allocation: Allocation) -> dict[str, Any]:
    """The contract's answer: one line per request line that gets anything."""
    return {
        "lines": [
            {
                "request": r.request,
                "item": r.item,
                "qty": r.qty,
                "sources": [{"warehouse": w, "qty": q} for w, q in r.sources],
            }
            for r in allocation.lines
            if r.qty > 0
        ]
    }


def answer_text(allocation: Allocation) -> str:
    """``json.dumps(answer_json(allocation), ensure_ascii=False)``, character for character,
    without building the intermediate dictionaries (a third of the command's time otherwise)."""
    names: dict[Ident, str] = {}

    def name(value: Ident) -> str:
        text = names.get(value)
        if text is None:
            text = names[value] = encode_basestring(value) if isinstance(value, str) else str(value)
        return text

    parts = []
    for r in allocation.lines:
        if r.qty > 0:
            if len(r.sources) == 1:
                w, q = r.sources[0]
                sources = f'{{"warehouse": {name(w)}, "qty": {q}}}'
            else:
                sources = ", ".join([f'{{"warehouse": {name(w)}, "qty": {q}}}' for w, q in r.sources])
            parts.append(
                f'{{"request": {name(r.request)}, "item": {name(r.item)}, "qty": {r.qty}, "sources": [{sources}]}}'
            )
    return '{"lines": [' + ", ".join(parts) + "]}"


def allocate(data: Any) -> dict[str, Any]:
    """Parse the JSON problem, solve it, answer in the contract's format."""
    return answer_json(solve(parse_problem(data)))
