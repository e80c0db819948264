"""Run every benchmark script in this folder, one after the other, printing their figures.

`make bench` calls this. Each script prints its own figures; record them in docs/benchmarks.md
with the machine they ran on. Pass script names to run only those:
`python benchmarks/run_all.py allocation_bench routing_bench`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*_bench.py") if not names or p.stem in names)
    failed = 0
    for script in scripts:
        print(f"== {script.name}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], check=False)
        print(f"== {script.name}: exit {result.returncode} in {time.monotonic() - started:.1f} s", flush=True)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
