"""Allocation engine benchmark: 5,000 requests x 200 items, 4 warehouses (goal <= 2 s).

Each request has 1-20 lines (mean ~10.5) over 200 items, tiers 1-5, places around Baoshan.
Stock is set so that about half of the items are short (pro-rata tier plus LP sourcing with
binding warehouse capacities). Prints parse, solve and end-to-end `baogong allocate` timings.

    .venv/bin/python benchmarks/allocation_bench.py [--requests 5000] [--items 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(n_requests: int, n_items: int, seed: int) -> dict[str, object]:
    rnd = random.Random(seed)
    items = [f"I{i:03d}" for i in range(n_items)]
    requests = []
    demand = dict.fromkeys(items, 0)
    for r in range(n_requests):
        lines = []
        for item in rnd.sample(items, rnd.randint(1, 20)):
            qty = rnd.randint(1, 500)
            demand[item] += qty
            lines.append({"item": item, "qty": qty})
        requests.append(
            {
                "id": f"R{r:05d}",
                "tier": rnd.randint(1, 5),
                "lat": round(31.25 + rnd.random() * 0.25, 5),
                "lon": round(121.30 + rnd.random() * 0.25, 5),
                "needed_by": f"2022-04-{rnd.randint(1, 9):02d}",
                "submitted_at": f"2022-03-31T{rnd.randint(8, 17):02d}:{rnd.randint(0, 59):02d}:00",
                "lines": lines,
            }
        )
    places = [(31.39, 121.44), (31.30, 121.33), (31.48, 121.52), (31.28, 121.50)]
    warehouses = []
    for w, (lat, lon) in enumerate(places):
        stock = {}
        for i, item in enumerate(items):
            ratio = 0.6 if i % 2 == 0 else 1.4  # even items short, odd items plentiful
            share = [0.55, 0.15, 0.15, 0.15][w] if i % 3 == 0 else 0.25  # skewed -> binding capacity
            stock[item] = int(demand[item] * ratio * share)
        warehouses.append({"id": f"W{w + 1}", "lat": lat, "lon": lon, "stock": stock})
    return {"warehouses": warehouses, "requests": requests}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-cli", action="store_true", help="skip the end-to-end command run")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")
    from baogong.distribution import allocation

    problem = build(args.requests, args.items, args.seed)
    n_lines = sum(len(r["lines"]) for r in problem["requests"])  # type: ignore[arg-type]
    t0 = time.perf_counter()
    parsed = allocation.parse_problem(problem)
    t1 = time.perf_counter()
    result = allocation.solve(parsed)
    t2 = time.perf_counter()
    answer = allocation.answer_json(result)
    t3 = time.perf_counter()
    lp_items = sum(
        1 for item in {r.item for r in result.lines} if any(len(r.sources) > 1 for r in result.lines if r.item == item)
    )
    print(f"requests={args.requests} items={args.items} warehouses=4 lines={n_lines}")
    print(f"parse {t1 - t0:.3f}s  solve {t2 - t1:.3f}s  answer {t3 - t2:.3f}s  engine total {t3 - t0:.3f}s")
    print(
        f"answer lines={len(answer['lines'])} items with split sourcing={lp_items} cost={result.total_cost:.1f} unit-km"
    )
    if not args.no_cli:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(problem, fh)
        try:
            start = time.perf_counter()
            subprocess.run(
                [str(ROOT / ".venv/bin/baogong"), "allocate", fh.name],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            print(f"`baogong allocate` end to end (process start, JSON in/out): {time.perf_counter() - start:.3f}s")
        finally:
            os.unlink(fh.name)


if __name__ == "__main__":
    main()
