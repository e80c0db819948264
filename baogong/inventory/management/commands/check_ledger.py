"""``baogong check-ledger``: exit 0 when every balance equals its moves, else 1 with the differences."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from baogong.inventory.queries import ledger_differences


class Command(BaseCommand):
    help = "Recompute every stock balance from the moves; exit 1 and list differences if any."

    def handle(self, *args: Any, **options: Any) -> None:
        differences = ledger_differences()
        if not differences:
            self.stdout.write("ledger ok: every balance equals its moves")
            return
        for d in differences:
            self.stdout.write(
                f"lot={d.lot_id}\tlocation={d.location_id}\t{d.field}: balance={d.balance}\tledger={d.ledger}"
            )
        self.stdout.write(f"{len(differences)} difference(s)")
        sys.stdout.flush()
        raise SystemExit(1)
