"""Confirming an allocation of N lines (goal: 10,000 lines ≤ 10 s on PostgreSQL).

Creates a scratch database (``baogong_bench_distribution`` on the server of ``DATABASE_URL``, or
a temporary SQLite file), migrates it, loads the base data, receives stock at 泰兴桥 for 50 items,
files and approves N one-line requests (bulk, through the request actions in batches), previews and
then times ``confirm_allocation`` (wall clock, and the CPU time of this process: the rest is the
database server and waiting for the shared machine). ``--profile`` prints the confirm's cProfile
and its queries by kind.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/baogong .venv/bin/python benchmarks/distribution_confirm_bench.py --lines 10000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="print the confirm's profile and query counts")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, _sep, _db = url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS baogong_bench_distribution")
            conn.execute("CREATE DATABASE baogong_bench_distribution")
        os.environ["DATABASE_URL"] = f"{base}/baogong_bench_distribution"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")
    import django

    django.setup()
    import datetime as dt
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import transaction

    from baogong.catalog import actions as catalog_actions
    from baogong.core.audit import SystemActor
    from baogong.demo.actions import load_base_data
    from baogong.distribution import actions
    from baogong.distribution.choices import RequestStatus
    from baogong.distribution.models import Request, RequestLine
    from baogong.inventory import actions as inventory_actions
    from baogong.inventory.actions import ReceiptLineInput
    from baogong.orgs.models import Site

    call_command("migrate", verbosity=0)
    load_base_data()
    actor = SystemActor("bench")
    txq = Site.objects.get(code="WH-TXQ")
    items = [
        catalog_actions.create_item({"code": f"B{i:03d}", "name": f"物资{i}", "unit": "箱"}, actor=actor)
        for i in range(args.items)
    ]
    per_item = args.lines // args.items
    for item in items:
        inventory_actions.receive_stock(
            txq,
            [
                ReceiptLineInput(
                    item=item,
                    batch=f"{item.code}-{k}",
                    qty=per_item * 3,
                    unit_cost=Decimal("10"),
                    expiry=dt.date.today() + dt.timedelta(days=100 + k),
                )
                for k in range(3)
            ],
            actor=actor,
            qc_status="released",
        )
    recipients = list(Site.objects.exclude(kind="warehouse").exclude(lat=None))
    now = dt.datetime.now(dt.UTC)
    with transaction.atomic():
        requests = Request.objects.bulk_create(
            [
                Request(
                    recipient=recipients[i % len(recipients)],
                    channel="staff",
                    status=RequestStatus.APPROVED,
                    submitted_at=now,
                    number=f"BENCH-{i:06d}",
                )
                for i in range(args.lines)
            ]
        )
        RequestLine.objects.bulk_create(
            [
                RequestLine(
                    request=r,
                    item=items[i % len(items)],
                    qty=5,
                    approved_qty=5,
                    needed_by=dt.date.today() + dt.timedelta(days=i % 5),
                )
                for i, r in enumerate(requests)
            ]
        )
    start = time.perf_counter()
    run = actions.preview_allocation([txq], actor=actor)
    preview = time.perf_counter() - start
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with CaptureQueriesContext(connection) as queries:
        start, cpu_start = time.perf_counter(), time.process_time()
        actions.confirm_allocation(run, actor=actor)
        confirm, confirm_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if profiler is not None:
        import collections
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        kinds = collections.Counter(q["sql"].split(" ", 1)[0] for q in queries.captured_queries)
        print("queries by kind:", dict(kinds))
        for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:8]:
            print(q["time"], q["sql"][:300])
    vendor = "postgresql" if url.startswith("postgres") else "sqlite"
    print(
        f"{vendor}: lines={args.lines} items={args.items} preview {preview:.2f}s confirm {confirm:.2f}s "
        f"(of which {confirm_cpu:.2f}s CPU in this process) "
        f"(allocated {run.summary['allocated']} units, {len(queries.captured_queries)} queries in the confirm)"
    )
    print("load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
