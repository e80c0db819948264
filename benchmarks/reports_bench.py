"""Work-summary benchmark: build and render the report over N posts, cost lines and inspections.

Creates its own throw-away SQLite database (BAOGONG_VAR_DIR in a temp dir), loads the base data,
adds the records through the real actions, then times building the figures and rendering
Markdown, Excel and PDF.

    .venv/bin/python benchmarks/reports_bench.py [--posts 2000] [--costs 2000] [--inspections 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--costs", type=int, default=2000)
    parser.add_argument("--inspections", type=int, default=300)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["BAOGONG_VAR_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from baogong.command import actions as command_actions
    from baogong.command.models import ChecklistTemplate
    from baogong.core.audit import SystemActor
    from baogong.demo.actions import load_base_data
    from baogong.finance import actions as finance_actions
    from baogong.orgs.models import Organisation, Site
    from baogong.reports.documents import SUMMARY, build_report, render
    from baogong.reports.figures import Period

    load_base_data()
    actor = SystemActor("bench")
    start = dt.date(2022, 4, 1)
    bsgx = Organisation.objects.get(code="BSGX")
    mission = finance_actions.create_mission(
        {
            "code": "M-B",
            "name": "bench",
            "kind": "field_hospital",
            "organisation": bsgx,
            "funder": Organisation.objects.get(code="BSZF-WJW"),
            "budget": Decimal("1e8"),
            "starts_on": start,
        },
        actor=actor,
    )
    t0 = time.perf_counter()
    for i in range(args.costs):
        line = finance_actions.add_cost_line(
            mission,
            {
                "category": "transport",
                "amount": Decimal(100 + i),
                "incurred_on": start + dt.timedelta(days=i % 61),
                "invoice_number": f"F{i}",
            },
            actor=actor,
        )
        finance_actions.approve_cost_line(line, actor=actor)
    for i in range(args.posts):
        command_actions.record_post(
            {
                "organisation": bsgx,
                "kind": "own" if i % 5 else "coverage",
                "channel": "wechat",
                "published_on": start + dt.timedelta(days=i % 61),
                "title": f"p{i}",
                "reads": i,
            },
            actor=actor,
        )
    template = ChecklistTemplate.objects.get(code="FSFS-2022")
    venue = Site.objects.get(code="CV-BY")
    findings = [command_actions.FindingInput(item_code=it.code, is_compliant=True) for it in template.items.all()]
    for i in range(args.inspections):
        command_actions.record_inspection(
            venue, template, on=start + dt.timedelta(days=i % 61), findings=findings, actor=actor
        )
    print(
        f"setup: {args.costs} cost lines, {args.posts} posts, {args.inspections} inspections in {time.perf_counter() - t0:.1f} s"
    )
    period = Period(start, dt.date(2022, 5, 31))
    t0 = time.perf_counter()
    report = build_report(actor, SUMMARY, period)
    print(f"figures ({len(report.figures)}): {(time.perf_counter() - t0) * 1000:.0f} ms")
    from baogong.reports.figures import PROVIDERS, FigureUnavailable

    for provider in PROVIDERS:
        t0 = time.perf_counter()
        try:
            provider.func(actor, period)
        except FigureUnavailable:
            continue
        print(f"  {provider.key}: {(time.perf_counter() - t0) * 1000:.0f} ms")
    for fmt in ("md", "xlsx", "pdf"):
        t0 = time.perf_counter()
        body = render(report, fmt)
        print(f"render {fmt}: {(time.perf_counter() - t0) * 1000:.0f} ms, {len(body)} bytes")


if __name__ == "__main__":
    main()
