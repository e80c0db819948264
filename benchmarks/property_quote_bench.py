"""Rent-relief quote benchmark: how many exact quotes per second the pure rules give.

Random tenants (both kinds, all 16 industries), leases starting 2020–2023 with quarterly,
monthly, half-yearly or yearly rent and up to two rent-free periods; quotes under both 2022
policies. Prints quotes per second and the share found eligible.

    .venv/bin/python benchmarks/property_quote_bench.py [--quotes 20000] [--seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from baogong.property import rules  # noqa: E402


def build(n: int, seed: int) -> list[tuple[dt.date, rules.TenantFacts, rules.LeaseFacts, rules.Proof]]:
    rnd = random.Random(seed)
    cases = []
    for _ in range(n):
        start = dt.date(2020, 1, 1) + dt.timedelta(days=rnd.randrange(4 * 365))
        end = start + dt.timedelta(days=rnd.randrange(90, 3 * 365))
        free = []
        for _k in range(rnd.randrange(3)):
            s = start + dt.timedelta(days=rnd.randrange(200))
            free.append((s, s + dt.timedelta(days=rnd.randrange(10, 90))))
        tenant = rules.TenantFacts(
            type=rnd.choice(rules.TENANT_TYPES),
            industry=rnd.choice(rules.INDUSTRIES),
            employees=rnd.randrange(1, 2000),
            revenue_wan=Decimal(rnd.randrange(10, 50000)),
            assets_wan=Decimal(rnd.randrange(10, 50000)),
            role=rnd.choice([rules.FINAL_OCCUPIER] * 9 + [rules.SUBLESSOR]),
            in_arrears=rnd.random() < 0.05,
        )
        lease = rules.LeaseFacts(
            start=start,
            end=end,
            rent=Decimal(rnd.randrange(100000, 50000000)) / 100,
            period_months=rnd.choice(rules.PERIOD_MONTHS),
            rent_free=free,
        )
        as_of = rnd.choice([dt.date(2022, 4, 15), dt.date(2022, 6, 15)])
        cases.append((as_of, tenant, lease, rules.Proof(risk_area=rnd.random() < 0.3)))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quotes", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cases = build(args.quotes, args.seed)
    started = time.perf_counter()
    eligible = 0
    total = Decimal(0)
    for as_of, tenant, lease, proof in cases:
        quote = rules.quote(as_of=as_of, tenant=tenant, property_state_owned=True, lease=lease, proof=proof)
        eligible += quote.eligible
        total += quote.amount
    elapsed = time.perf_counter() - started
    print(f"quotes: {len(cases)}")  # noqa: T201
    print(f"seconds: {elapsed:.3f}")  # noqa: T201
    print(f"quotes per second: {len(cases) / elapsed:,.0f}")  # noqa: T201
    print(f"eligible: {eligible} ({eligible / len(cases):.1%}), total relief {total}")  # noqa: T201


if __name__ == "__main__":
    main()
