"""The process the crash tests kill: ``python tests/crash/child.py SCENARIO MARKER ARGS_JSON``.

It runs one real action against the database ``DATABASE_URL`` names. A hook on
``baogong.core.audit.record`` (called by every action after its writes, before the commit) writes
the row counts it sees inside the open transaction to MARKER and then blocks, so the parent can
SIGKILL it mid-transaction. ``SCENARIO`` ``inspect`` prints the committed counts as JSON instead.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def counts() -> dict[str, Any]:
    """What a partial document would change (used inside and outside the transaction)."""
    from django.db.models import Sum

    from baogong.catalog.models import Item
    from baogong.core.models import AuditEvent
    from baogong.distribution.models import AllocationReservation, AllocationRun, RequestLine
    from baogong.inventory.models import Reservation, StockBalance, StockMove, Stocktake

    return {
        "items": Item.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "stock_moves": StockMove.objects.count(),
        "reservations": Reservation.objects.count(),
        "allocation_reservations": AllocationReservation.objects.count(),
        "confirmed_runs": AllocationRun.objects.filter(status="confirmed").count(),
        "allocated_units": RequestLine.objects.aggregate(s=Sum("allocated_qty"))["s"] or 0,
        "reserved_units": StockBalance.objects.aggregate(s=Sum("reserved"))["s"] or 0,
        "on_hand_units": StockBalance.objects.aggregate(s=Sum("on_hand"))["s"] or 0,
        "approved_stocktakes": Stocktake.objects.filter(status="approved").count(),
    }


def hang_after(verb: str, times: int, marker: Path) -> None:
    """After the ``times``-th audit event ``verb`` (inside the action's transaction): write the
    counts seen there to ``marker`` and block until killed."""
    from baogong.core import audit

    original = audit.record
    seen = {"n": 0}

    def hooked(v: str, *args: Any, **kwargs: Any) -> Any:
        result = original(v, *args, **kwargs)
        if v == verb:
            seen["n"] += 1
            if seen["n"] >= times:
                from django.db import connection

                data = {"in_atomic_block": connection.in_atomic_block, **counts()}
                tmp = marker.with_suffix(".tmp")
                tmp.write_text(json.dumps(data))
                os.replace(tmp, marker)
                while True:  # the parent kills us here, with the transaction open
                    time.sleep(0.2)
        return result

    audit.record = hooked  # type: ignore[assignment]


def main() -> None:
    scenario, marker, raw = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    args = json.loads(raw)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")
    import django

    django.setup()
    from baogong.core.audit import SystemActor

    actor = SystemActor("crash-test")
    if scenario == "inspect":
        print(json.dumps(counts()))
        return
    if scenario == "import_items":
        from baogong.catalog.actions import import_items

        hang_after("create_item", args["after"], marker)
        with open(args["file"], "rb") as handle:
            import_items(handle, actor=actor)
    elif scenario == "confirm_allocation":
        from baogong.distribution.actions import confirm_allocation
        from baogong.distribution.models import AllocationRun

        hang_after("confirm_allocation", 1, marker)
        confirm_allocation(AllocationRun.objects.get(pk=args["run"]), actor=actor)
    elif scenario == "approve_stocktake":
        from baogong.inventory.actions import approve_stocktake
        from baogong.inventory.models import Stocktake

        hang_after("approve_stocktake", 1, marker)
        approve_stocktake(Stocktake.objects.get(pk=args["stocktake"]), actor=actor)
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    marker.with_name("finished").write_text("the action committed: the hook never fired")


if __name__ == "__main__":
    main()
