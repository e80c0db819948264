"""Per-step CPU time and query count of the scenario replay (issue 21 point 4).

Runs ``Scenario(seed, days).run()`` on the database ``DATABASE_URL`` names (migrated first; use a
fresh SQLite file) and prints, for each step of a replayed day, the CPU seconds
(``time.process_time``) and the SQL statements it took over the whole run, then the total and the
outcome as JSON (compare it between two versions: it must not change). ``--profile FILE`` writes a
cProfile of the steps named by ``--steps`` only (profiling everything doubles the run).

    DATABASE_URL=sqlite:////tmp/replay.sqlite3 .venv/bin/python benchmarks/replay_steps_bench.py --days 60
    ... --days 15 --profile /tmp/replay.prof --steps _allocate_and_ship,_deliver

On a shared machine run the two versions side by side (one per core, the same load on both):
CPU time itself grows with the load.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")

DAY_STEPS = [
    "_fuel",
    "_health",
    "_driver_tests",
    "_procure",
    "_requests",
    "_farm_and_industry",
    "_allocate_and_ship",
    "_reopening",
    "_deliver",
    "_playbook",
    "_pharmacy_orders",
    "_relief",
]
MODEL_STEPS = {
    "people": ["week"],
    "lodging": ["morning", "afternoon", "evening"],
    "giving": ["donations", "requests"],
    "figures": ["book_costs", "publish"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--profile", help="write a cProfile of --steps to this file")
    parser.add_argument("--steps", default="_allocate_and_ship", help="steps to profile, comma-separated")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    from baogong.demo import steps
    from baogong.demo.scenario import Scenario
    from baogong.demo.steps import days as day_module

    cpu: collections.Counter[str] = collections.Counter()
    queries: collections.Counter[str] = collections.Counter()
    count = [0]
    running: list[str] = []
    profiler = cProfile.Profile() if args.profile else None
    profiled = set(args.steps.split(","))

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    def timed(module: Any, name: str, label: str) -> None:
        step = getattr(module, name)

        def wrapper(*a: Any, **k: Any) -> Any:
            started, before = time.process_time(), count[0]
            on = profiler is not None and label in profiled and label not in running
            running.append(label)
            if on:
                profiler.enable()  # type: ignore[union-attr]
            try:
                return step(*a, **k)
            finally:
                if on:
                    profiler.disable()  # type: ignore[union-attr]
                running.pop()
                if label not in running:
                    cpu[label] += time.process_time() - started
                    queries[label] += count[0] - before

        setattr(module, name, wrapper)

    for name in DAY_STEPS:
        timed(day_module, name, name)
    for module_name, names in MODEL_STEPS.items():
        for name in names:
            timed(getattr(day_module, module_name), name, f"{module_name}.{name}")
    timed(steps, "prepare", "prepare")
    timed(steps, "finish", "finish")

    started, wall = time.process_time(), time.monotonic()
    with connection.execute_wrapper(counter):
        outcome = Scenario(seed=args.seed, days=args.days).run()
    total = time.process_time() - started
    if profiler is not None:
        profiler.dump_stats(args.profile)
    for label, seconds in sorted(cpu.items(), key=lambda kv: -kv[1]):
        print(f"{label:28s} {seconds:8.1f} s CPU {queries[label]:9,d} queries")
    print(f"{'total':28s} {total:8.1f} s CPU {count[0]:9,d} queries (wall {time.monotonic() - wall:.1f} s)")
    figures = {k: len(v) if isinstance(v, list) else v for k, v in outcome.__dict__.items() if k != "notes"}
    print(json.dumps(figures, ensure_ascii=False, sort_keys=True, default=str))


if __name__ == "__main__":
    main()
