"""Re-plan (重新调配) benchmark on the replay database: put a warehouse under control and time the
diff (``preview_replan``) and its one-transaction application (``replan_warehouse``).

Works on a copy of the SQLite database it is given (the replay stays unchanged). ``--requests N``
first adds N approved requests allocated from the warehouse (through the real actions), so the
re-plan has open supply to move even when the replay ended with little open there.

    .venv/bin/baogong demo --scenario baoshan-2022 --seed 2022 --days 60   # once, into var/…
    .venv/bin/python benchmarks/replan_bench.py --database var/replay.sqlite3 [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True, help="the replay's SQLite file (copied, not changed)")
    parser.add_argument("--warehouse", default="WH-TXQ")
    parser.add_argument("--requests", type=int, default=0)
    parser.add_argument("--stock-elsewhere", type=int, default=0, help="units of each item received at the others")
    parser.add_argument("--at", default="2022-05-31T18:00:00+08:00", help="simulated time (the replay's last day)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    copy = Path(tmp) / "replan.sqlite3"
    shutil.copy(args.database, copy)
    os.environ["DATABASE_URL"] = f"sqlite:///{copy}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")
    import django

    django.setup()
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime.fromisoformat(args.at), tick=True):
        run(args)
    shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    import datetime as dt

    from django.db.models import Sum
    from django.utils import timezone

    from baogong.catalog.models import Item
    from baogong.core.audit import SystemActor
    from baogong.distribution import actions
    from baogong.distribution.actions import LineInput
    from baogong.distribution.errors import ReplanInvalid
    from baogong.inventory.models import StockBalance
    from baogong.inventory.queries import available
    from baogong.orgs import actions as org_actions
    from baogong.orgs.models import Site

    actor = SystemActor("bench")
    warehouse = Site.objects.get(code=args.warehouse)
    if warehouse.status != "normal":
        org_actions.set_site_status(warehouse, "normal", actor=actor)
        warehouse.refresh_from_db()
    if args.requests:
        held_items = StockBalance.objects.filter(location__site=warehouse, on_hand__gt=0).values_list(
            "item_id", flat=True
        )
        free = available([warehouse.pk], sorted(set(held_items)))
        items = [Item.objects.get(pk=i) for (_w, i), q in sorted(free.items()) if q >= 10][:8]
        recipients = list(Site.objects.exclude(kind="warehouse").filter(lat__isnull=False).order_by("code")[:40])
        needed = timezone.localdate() + dt.timedelta(days=2)
        ids = []
        for n in range(args.requests):
            item = items[n % len(items)]
            request = actions.file_request(
                recipients[n % len(recipients)],
                [LineInput(item=item, qty=1 + n % 5, needed_by=needed)],
                actor=actor,
                submit=True,
            )
            ids.append(actions.approve_request(request, actor=actor).pk)
        if args.stock_elsewhere:
            from decimal import Decimal

            from baogong.inventory import actions as inventory_actions
            from baogong.inventory.actions import ReceiptLineInput

            for other in Site.objects.filter(kind="warehouse", code__in=["WH-BY", "WH-YY"]).order_by("code"):
                inventory_actions.receive_stock(
                    other,
                    [
                        ReceiptLineInput(
                            item=item,
                            batch=f"BENCH-{other.code}-{item.code}",
                            qty=args.stock_elsewhere,
                            unit_cost=Decimal("1"),
                            expiry=timezone.localdate() + dt.timedelta(days=365),
                        )
                        for item in items
                    ],
                    actor=actor,
                    qc_status="released",
                )
        run = actions.preview_allocation([warehouse], actor=actor, request_ids=ids)
        actions.confirm_allocation(run, actor=actor)
        actions.plan_shipments(actor=actor, warehouses=[warehouse])
    org_actions.set_site_status(warehouse, "under_control", reason="benchmark", actor=actor)
    warehouse.refresh_from_db()
    started = time.perf_counter()
    shown = actions.preview_replan(warehouse, actor=actor)
    preview_s = time.perf_counter() - started
    started = time.perf_counter()
    try:
        done = actions.replan_warehouse(warehouse, actor=actor, expected=shown.fingerprint)
    except ReplanInvalid:  # nothing open at the warehouse: the diff is all there is
        done = shown
    apply_s = time.perf_counter() - started
    from baogong.distribution.models import AllocationReservation

    left = AllocationReservation.objects.filter(warehouse=warehouse, reservation__status="active").aggregate(
        n=Sum("qty")
    )["n"]
    print(  # noqa: T201 - a benchmark prints its figures
        json.dumps(
            {
                "warehouse": warehouse.code,
                "units": done.units,
                "moved_units": done.moved_units,
                "short_units": done.short_units,
                "short_by_tier": done.short_by_tier(),
                "moves": len(done.moves),
                "shipments_withdrawn": len(done.shipments),
                "extra_unit_km": done.extra_unit_km,
                "preview_seconds": round(preview_s, 3),
                "replan_seconds": round(apply_s, 3),
                "active_left_at_warehouse": left or 0,
                "load_average": [round(x, 2) for x in os.getloadavg()],
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
