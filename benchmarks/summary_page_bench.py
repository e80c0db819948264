"""Work-summary page on a replayed database: time the full HTML page (figures, sources, template)
as the commander sees it, over the period with data.

Run after a replay in the var database (``baogong demo --scenario baoshan-2022 --seed 2022
--days 10``):

    .venv/bin/python benchmarks/summary_page_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--user", default="commander")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from baogong.reports.daily import data_span

    user = get_user_model().objects.get(username=args.user)
    span = data_span(user)
    if span is None:
        sys.exit("no data: run the replay first")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    params = {"from": span[0].isoformat(), "to": span[1].isoformat()}
    url = reverse("reports:summary")
    times = []
    for _ in range(args.runs + 1):
        started = time.perf_counter()
        response = client.get(url, params)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    warm = times[1:]
    print(
        f"summary page {params['from']}..{params['to']} as {args.user}: first {times[0]:.3f} s, "
        f"median {statistics.median(warm):.3f} s, max {max(warm):.3f} s over {len(warm)} runs; "
        f"load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
