"""People benchmark: load the demo people (312 people, 321 deployments, 7 batches) through the
actions into a fresh database, then time the queries reports and dispatch call.

Prints: demo load time, headcounts (the article's 183 / 109 / 7 batches / 29 person-times),
``person_clearance`` per person (the fleet's eligibility hook) and the dashboard queries.

    DATABASE_URL=sqlite:////tmp/people_bench.sqlite3 .venv/bin/python benchmarks/people_bench.py
(the database named must be empty or disposable: it is migrated and filled.)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/people_bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from baogong.core.audit import SystemActor  # noqa: E402
from baogong.demo.actions import load_base_data  # noqa: E402
from baogong.people import queries  # noqa: E402
from baogong.people.demo_data import load_people_demo  # noqa: E402
from baogong.people.models import Deployment, Person  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    load_base_data()
    started = time.perf_counter()
    made = load_people_demo()
    load_s = time.perf_counter() - started
    print(f"demo load: {made} in {load_s:.2f} s")  # noqa: T201

    started = time.perf_counter()
    counts = queries.headcounts(Deployment.objects.all())
    print(  # noqa: T201
        f"headcounts: on duty {counts['on_duty'].people}, community {counts['community'].people}, "
        f"batches {counts['batches']}, team person-times {counts['volunteer_team'].person_times} "
        f"in {(time.perf_counter() - started) * 1000:.1f} ms"
    )

    people = list(Person.objects.all())
    today = timezone.localdate()
    started = time.perf_counter()
    refused = sum(1 for p in people if queries.person_clearance(p, today))
    elapsed = time.perf_counter() - started
    print(  # noqa: T201
        f"person_clearance: {len(people)} people in {elapsed:.2f} s "
        f"({elapsed / len(people) * 1000:.2f} ms each), {refused} not cleared"
    )

    actor = SystemActor("bench")
    started = time.perf_counter()
    due = queries.tests_due(actor, today)
    breakdown = queries.deployment_breakdown(Deployment.objects.all())
    print(  # noqa: T201
        f"dashboard queries: tests due for {len(due)} people, {len(breakdown)} breakdown rows "
        f"in {(time.perf_counter() - started) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
