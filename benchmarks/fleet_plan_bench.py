"""Plan a dispatch day of N deliveries with M vehicles from three Baoshan depots; print the figures.

Usage: .venv/bin/python benchmarks/fleet_plan_bench.py [--stops 300] [--vehicles 20] [--seconds 30] [--seed 1]
Stops are spread over Baoshan (31.30–31.47 N, 121.34–121.50 E) with demands of 50–250 kg and
1–20 cases; a third receive 08:00–12:00, a third 13:00–17:00, the rest any time; 10 min service.
Vehicles: 3,000 kg / 200 cases, 10 h shifts from 07:00, spread over 泰兴桥, 医药仓库 and 北翼.
Same code path as the background task (great-circle × 1.3 at 30 km/h, PyVRP, then evaluation).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from baogong.fleet.routing import PlanOptions, Stop, Vehicle, plan_routes  # noqa: E402

DEPOTS = [("WH-TXQ", 31.3460, 121.4050), ("WH-YY", 31.3870, 121.4300), ("WH-BY", 31.3100, 121.4150)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stops", type=int, default=300)
    parser.add_argument("--vehicles", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    stops = []
    for i in range(args.stops):
        window = [(8 * 60, 12 * 60), (13 * 60, 17 * 60), None][i % 3]
        stops.append(
            Stop(
                f"S{i}",
                rng.uniform(31.30, 31.47),
                rng.uniform(121.34, 121.50),
                (rng.randint(50, 250), 0, rng.randint(1, 20)),
                window,
                10,
            )
        )
    vehicles = [
        Vehicle(f"V{j}", d[0], d[1], d[2], (3000, 0, 200), shift_start=7 * 60, shift_minutes=600)
        for j, d in ((j, DEPOTS[j % 3]) for j in range(args.vehicles))
    ]
    print(f"load average at start: {os.getloadavg()}")
    started = time.perf_counter()
    result = plan_routes(stops, vehicles, PlanOptions(seconds=args.seconds, seed=args.seed))
    wall = time.perf_counter() - started
    late = sum(1 for r in result.routes for v in r.visits if v.late_minutes)
    print(
        f"stops={args.stops} vehicles={args.vehicles} limit={args.seconds:g}s wall={wall:.1f}s "
        f"routes={len(result.routes)} unassigned={len(result.unassigned)} late_stops={late} "
        f"feasible={result.feasible} km={result.km:.1f} "
        f"max_load_kg={max(r.load[0] for r in result.routes)} "
        f"longest_shift_min={max(r.end - r.start for r in result.routes)}"
    )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
