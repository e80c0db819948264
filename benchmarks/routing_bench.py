"""Run `baogong route --vrplib` on the instances in ../shared/vrp and print cost and gap to best-known.

Usage: .venv/bin/python benchmarks/routing_bench.py [--dir ../shared/vrp] [--seconds 10 60] [--seed 0]
                                                   [--only X-n101-k25 ...] [--cpu]

Default: each run is the real contract command in a subprocess, with a wall-clock limit that covers
reading the file, the first solution and the search (Django's start-up comes on top, shown in
"wall s"); "cpu s" is the CPU time the run actually got, which tells how much of the limit a
shared machine left to the solver. The printed cost is re-checked against the printed routes.

``--cpu`` solves in this process with the limit on CPU time (``time.process_time``) instead: the
figures the solver reaches with N seconds of one core, whatever the machine's load — use it to
compare settings on a shared machine, and say so when you record it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")

import vrplib  # noqa: E402

from baogong.fleet.routing import read_vrplib_solution, solve_vrplib, vrplib_route_cost  # noqa: E402

ORDER = ["X-n101-k25", "X-n200-k36", "X-n502-k39", "X-n1001-k43", "RC208", "C1_10_1", "RC1_10_1"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_command(baogong: str, vrp: Path, seconds: float, seed: int) -> tuple[dict, float, float]:
    cpu0 = children_cpu()
    started = time.perf_counter()
    out = subprocess.run(  # noqa: S603 (our own command)
        [baogong, "route", "--vrplib", str(vrp), "--seconds", str(seconds), "--seed", str(seed)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out), time.perf_counter() - started, children_cpu() - cpu0


def run_cpu(vrp: Path, seconds: float, seed: int) -> tuple[dict, float, float]:
    cpu0 = time.process_time()
    started = time.perf_counter()
    answer = solve_vrplib(vrp, seconds, seed, clock=time.process_time)
    return answer, time.perf_counter() - started, time.process_time() - cpu0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default=str(ROOT.parent / "shared" / "vrp"))
    parser.add_argument("--seconds", type=float, nargs="+", default=[10.0, 60.0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--cpu", action="store_true", help="limit on CPU time, in this process")
    args = parser.parse_args()
    folder = Path(args.dir)
    names = [n for n in ORDER if (folder / f"{n}.vrp").exists()]
    names += sorted(p.stem for p in folder.glob("*.vrp") if p.stem not in ORDER)
    if args.only:
        names = [n for n in names if n in args.only]
    baogong = str(ROOT / ".venv" / "bin" / "baogong")
    mode = "CPU-time limit, in process" if args.cpu else "wall-clock limit, `baogong route` subprocess"
    print(f"{mode}; seed {args.seed}; load average at start: {os.getloadavg()}")
    print("| instance | seconds | cost | best-known | gap | routes | wall s | cpu s | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for seconds in args.seconds:
        for name in names:
            vrp = folder / f"{name}.vrp"
            _, bks = read_vrplib_solution(folder / f"{name}.sol")
            if args.cpu:
                answer, wall, cpu = run_cpu(vrp, seconds, args.seed)
            else:
                answer, wall, cpu = run_command(baogong, vrp, seconds, args.seed)
            instance = vrplib.read_instance(str(vrp))
            # the answer lists the instance's node numbers (depot 1); the cost function takes 0-based ones
            check = vrplib_route_cost(instance, [[n - 1 for n in r] for r in answer["routes"]])
            assert abs(check - answer["cost"]) < 1e-6, (name, check, answer["cost"])
            gap = 100 * (answer["cost"] - bks) / bks
            print(
                f"| {name} | {seconds:g} | {answer['cost']} | {bks:g} | {gap:+.2f}% | {len(answer['routes'])} "
                f"| {wall:.1f} | {cpu:.1f} | {os.getloadavg()[0]:.1f} |",
                flush=True,
            )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
