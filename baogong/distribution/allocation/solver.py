"""Fair shares by tier and pro-rata, then sourcing per item; the contract's answer."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from json.encoder import encode_basestring
from typing import Any

from baogong.core.geo import EARTH_RADIUS_KM
from baogong.distribution.allocation.model import (
    BASIS_FULL,
    BASIS_NO_STOCK,
    BASIS_PRO_RATA,
    BASIS_SHORTAGE,
    Allocation,
    Ident,
    LineResult,
    Problem,
    Request,
)
from baogong.distribution.allocation.parsing import _gc_paused, parse_problem
from baogong.distribution.allocation.transport import _Distances, _transport


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
