"""Insurance split benchmark: how many order quotes per second the pure split computes.

Builds random orders (1-8 lines, classes A/B/C, prices with up to 4 decimals, fees, random
account balances) and times ``split_payment`` with an in-memory copy of the default 2022
policy's figures (no database needed). Also checks on every order that the parts add up.

    .venv/bin/python benchmarks/pharmacy_quote_bench.py [--orders 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")


@dataclass
class Rates:
    """The default policy's figures, in memory so that the benchmark needs no database."""

    fees_eligible: bool = False
    pooled_fund_percent: Decimal = Decimal("0")

    def eligible_percent(self, insurance_class: str) -> Decimal:
        return {"A": Decimal("100"), "B": Decimal("90")}.get(insurance_class, Decimal("0"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import django

    django.setup()
    from baogong.pharmacy.insurance import QuoteLine, split_payment

    rnd = random.Random(args.seed)
    orders = []
    for _i in range(args.orders):
        lines = [
            QuoteLine(
                drug=f"D{rnd.randrange(500)}",
                unit_price=Decimal(rnd.randrange(10, 500_000)) / Decimal(10_000),
                qty=rnd.randint(1, 5),
                insurance_class=rnd.choice("AABBC"),
            )
            for _j in range(rnd.randint(1, 8))
        ]
        orders.append(
            (
                lines,
                Decimal(rnd.randrange(0, 800)) / 100,
                Decimal(rnd.randrange(0, 30_000)) / 100,
                Decimal(rnd.randrange(0, 50_000)) / 100,
            )
        )
    rates = Rates()
    started = time.perf_counter()
    for lines, fees, current, prior in orders:
        split = split_payment(rates, lines, fees=fees, current_year=current, prior_years=prior)
        assert split.total == split.personal_current + split.personal_prior + split.pooled + split.self_pay
    elapsed = time.perf_counter() - started
    print(f"orders: {args.orders}  lines: {sum(len(o[0]) for o in orders)}")
    print(
        f"split_payment: {elapsed:.2f} s  ({args.orders / elapsed:,.0f} quotes/s, {elapsed / args.orders * 1e6:.1f} µs each)"
    )


if __name__ == "__main__":
    main()
