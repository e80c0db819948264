"""The drill beside the baseline: the contract's JSON (plus the detail the page and exports show)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from baogong.command.drills.simulation import KEY_ITEMS, Outcome
from baogong.command.drills.snapshot import Snapshot


def _fraction(allocated: int, demanded: int) -> float:
    return round(allocated / demanded, 4) if demanded else 1.0


def key_items(snapshot: Snapshot, baseline: Outcome) -> list[int]:
    """The items most asked for in the window (baseline demand), largest first, then by code."""
    demand: dict[int, int] = defaultdict(int)
    for d in snapshot.demand:
        demand[d.item_id] += d.qty
    ranked = sorted(demand, key=lambda i: (-demand[i], snapshot.items[i].code))
    return ranked[:KEY_ITEMS]


def _summary(snapshot: Snapshot, outcome: Outcome, keys: list[int]) -> dict[str, Any]:
    days = snapshot.events.window.days
    demand_per_day: dict[int, float] = defaultdict(float)
    for d in snapshot.demand:
        demand_per_day[d.item_id] += d.qty / days
    items, places = snapshot.items, snapshot.recipients
    tiers = sorted(outcome.demanded_by_tier)
    return {
        "fill_rate_by_tier": {
            str(t): _fraction(outcome.allocated_by_tier.get(t, 0), outcome.demanded_by_tier[t]) for t in tiers
        },
        "demanded_by_tier": {str(t): outcome.demanded_by_tier[t] for t in tiers},
        "allocated_by_tier": {str(t): outcome.allocated_by_tier.get(t, 0) for t in tiers},
        "unmet_units": outcome.unmet_units,
        "unmet": [
            {
                "item": items[i].code,
                "item_name": items[i].name,
                "recipient": places[r].code,
                "recipient_name": places[r].name,
                "qty": q,
            }
            for (i, r), q in sorted(
                outcome.unmet.items(), key=lambda kv: (-kv[1], items[kv[0][0]].code, places[kv[0][1]].code)
            )
            if q > 0
        ],
        "km": round(outcome.km, 1),
        "vehicle_days": outcome.vehicle_days,
        "vehicles_peak": outcome.vehicles_peak,
        "unrouted_stops": outcome.unrouted_stops,
        "days_of_cover": {
            items[i].code: (
                round(outcome.end_stock.get(i, 0) / demand_per_day[i], 1) if demand_per_day.get(i) else None
            )
            for i in keys
        },
        "warehouses": [snapshot.warehouses[w].code for w in outcome.warehouses_used],
        "vehicles_out": outcome.vehicles_out,
        "days": outcome.days,
    }


def moved(snapshot: Snapshot, baseline: Outcome, drill: Outcome) -> list[dict[str, Any]]:
    """Units of an item for a recipient that the drill sources from another warehouse than the
    baseline: per (item, recipient) the warehouses that lose units are paired with those that gain
    (both in code order)."""
    per_pair: dict[tuple[int, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for (item, rcpt, wh), qty in baseline.flows.items():
        per_pair[(item, rcpt)][wh] -= qty
    for (item, rcpt, wh), qty in drill.flows.items():
        per_pair[(item, rcpt)][wh] += qty
    code = {w: p.code for w, p in snapshot.warehouses.items()}
    rows = []
    for (item, rcpt), change in per_pair.items():
        losers = sorted((code[w], -q) for w, q in change.items() if q < 0)
        gainers = sorted((code[w], q) for w, q in change.items() if q > 0)
        lose_left = [q for _, q in losers]
        gain_left = [q for _, q in gainers]
        li = gi = 0
        while li < len(losers) and gi < len(gainers):
            qty = min(lose_left[li], gain_left[gi])
            rows.append(
                {
                    "item": snapshot.items[item].code,
                    "recipient": snapshot.recipients[rcpt].code,
                    "from": losers[li][0],
                    "to": gainers[gi][0],
                    "qty": qty,
                }
            )
            lose_left[li] -= qty
            gain_left[gi] -= qty
            li += lose_left[li] == 0
            gi += gain_left[gi] == 0
    return sorted(rows, key=lambda r: (r["item"], r["recipient"], r["from"], r["to"]))


def compare(snapshot: Snapshot, baseline: Outcome, drill: Outcome) -> dict[str, Any]:
    keys = key_items(snapshot, baseline)
    base = _summary(snapshot, baseline, keys)
    after = _summary(snapshot, drill, keys)
    return {
        "window": {"from": snapshot.events.window.start.isoformat(), "days": snapshot.events.window.days},
        "events": snapshot.events.as_json(),
        "baseline": base,
        "drill": after,
        "moved": moved(snapshot, baseline, drill),
        "extra": {
            "km": round(after["km"] - base["km"], 1),
            "vehicle_days": after["vehicle_days"] - base["vehicle_days"],
            "vehicles_peak": after["vehicles_peak"] - base["vehicles_peak"],
            "unmet_units": after["unmet_units"] - base["unmet_units"],
        },
        "skipped_recipients": snapshot.skipped_recipients,
    }
