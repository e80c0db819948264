"""Allocation engine benchmark: 5,000 requests x 200 items, 4 warehouses (goal <= 2 s).

Each request has 1-20 lines (mean ~10.5) over 200 items, tiers 1-5, places around Baoshan.
Stock is set so that about half of the items are short (pro-rata tier plus LP sourcing with
binding warehouse capacities). Prints parse, solve and answer timings of the engine (best of
``--repeat`` runs, wall clock and CPU time: on a shared machine the CPU figure is the stable one)
and of ``--repeat`` end-to-end ``baogong allocate`` runs (process start, JSON in and out).

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


def timed(fn, *args):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn(*args)
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (best is printed)")
    parser.add_argument("--no-cli", action="store_true", help="skip the end-to-end command run")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")
    from baogong.distribution import allocation

    problem = build(args.requests, args.items, args.seed)
    text = json.dumps(problem)
    n_lines = sum(len(r["lines"]) for r in problem["requests"])  # type: ignore[arg-type]
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeat):
        data, *load = timed(json.loads, text)
        parsed, *parse = timed(allocation.parse_problem, data)
        result, *solve = timed(allocation.solve, parsed)
        answer, *dump = timed(allocation.answer_text, result)
        for name, (wall, cpu) in (("json", load), ("parse", parse), ("solve", solve), ("answer", dump)):
            old = best.get(name, (float("inf"), float("inf")))
            best[name] = (min(old[0], wall), min(old[1], cpu))
    total = (sum(w for w, _ in best.values()), sum(c for _, c in best.values()))
    lp_items = sum(
        1 for item in {r.item for r in result.lines} if any(len(r.sources) > 1 for r in result.lines if r.item == item)
    )
    print(f"requests={args.requests} items={args.items} warehouses=4 lines={n_lines}")
    print("load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(
        f"engine (best of {args.repeat}, wall / CPU): "
        + "  ".join(f"{name} {w:.3f}/{c:.3f}s" for name, (w, c) in best.items())
        + f"  total {total[0]:.3f}/{total[1]:.3f}s"
    )
    print(
        f"answer lines={len(json.loads(answer)['lines'])} items with split sourcing={lp_items} "
        f"cost={result.total_cost:.1f} unit-km"
    )
    if not args.no_cli:
        import resource

        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            fh.write(text)
        runs = []
        try:
            for _ in range(args.repeat):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run(
                    [str(ROOT / ".venv/bin/baogong"), "allocate", fh.name],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                wall = time.perf_counter() - start
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                runs.append((wall, cpu))
        finally:
            os.unlink(fh.name)
        print(
            "`baogong allocate` end to end (process start, JSON in/out), wall / CPU: "
            + "  ".join(f"{w:.3f}/{c:.3f}s" for w, c in runs)
            + f"  best {min(w for w, _ in runs):.3f}/{min(c for _, c in runs):.3f}s"
        )


if __name__ == "__main__":
    main()
