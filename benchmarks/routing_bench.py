"""Run `baogong route --vrplib` on the instances in ../shared/vrp and print cost and gap to best-known.

Usage: .venv/bin/python benchmarks/routing_bench.py [--dir ../shared/vrp] [--seconds 10 60] [--seed 0]
                                                   [--only X-n101-k25 ...]
Each run is the real command in a subprocess; the printed cost is checked against the routes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")

import vrplib  # noqa: E402

from baogong.fleet.routing import read_vrplib_solution, vrplib_route_cost  # noqa: E402

ORDER = ["X-n101-k25", "X-n200-k36", "X-n502-k39", "X-n1001-k43", "RC208", "C1_10_1", "RC1_10_1"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default=str(ROOT.parent / "shared" / "vrp"))
    parser.add_argument("--seconds", type=float, nargs="+", default=[10.0, 60.0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    folder = Path(args.dir)
    names = [n for n in ORDER if (folder / f"{n}.vrp").exists()]
    names += sorted(p.stem for p in folder.glob("*.vrp") if p.stem not in ORDER)
    if args.only:
        names = [n for n in names if n in args.only]
    baogong = str(ROOT / ".venv" / "bin" / "baogong")
    print(f"load average at start: {os.getloadavg()}")
    print("| instance | seconds | cost | best-known | gap | routes | wall s |")
    print("|---|---|---|---|---|---|---|")
    for seconds in args.seconds:
        for name in names:
            vrp = folder / f"{name}.vrp"
            _, bks = read_vrplib_solution(folder / f"{name}.sol")
            started = time.perf_counter()
            out = subprocess.run(  # noqa: S603 (our own command)
                [baogong, "route", "--vrplib", str(vrp), "--seconds", str(seconds), "--seed", str(args.seed)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            wall = time.perf_counter() - started
            answer = json.loads(out)
            instance = vrplib.read_instance(str(vrp))
            check = vrplib_route_cost(instance, answer["routes"])
            assert abs(check - answer["cost"]) < 1e-6, (name, check, answer["cost"])
            gap = 100 * (answer["cost"] - bks) / bks
            print(
                f"| {name} | {seconds:g} | {answer['cost']} | {bks:g} | {gap:+.2f}% | {len(answer['routes'])} | {wall:.1f} |",
                flush=True,
            )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
