"""``baogong drill``: rehearse events against a snapshot of the current data; changes nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from baogong.command import drills
from baogong.command.documents import drill_document
from baogong.core.audit import SystemActor
from baogong.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Drill (应急推演): lock down warehouses, blacklist suppliers, cut the fleet, close roads or raise "
        "demand for a window, re-run allocation and routing, and print the result beside the baseline. "
        "Nothing in the database changes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lockdown", action="append", default=[], metavar="SITE_CODE", help="warehouse code")
        parser.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--days", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--blacklist", action="append", default=[], metavar="SUPPLIER", help="USCC or name")
        parser.add_argument("--fleet-cut", type=int, default=0, metavar="PCT")
        parser.add_argument("--road-closure", type=int, default=0, metavar="PCT", help="extra detour on every road")
        parser.add_argument("--surge-area", default="", metavar="AREA_CODE")
        parser.add_argument("--surge", type=int, default=0, metavar="PCT")
        parser.add_argument("--format", choices=["json", "xlsx", "pdf"], default="json")
        parser.add_argument("--output", help="file to write (json: stdout when omitted)")
        parser.add_argument("--progress", action="store_true", help="progress on stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = {
            "from": options["date_from"],
            "days": options["days"],
            "seed": options["seed"],
            "lockdown": [c for v in options["lockdown"] for c in v.split(",")],
            "blacklist": options["blacklist"],
            "fleet_cut_pct": options["fleet_cut"],
            "road_closure_pct": options["road_closure"],
            "surge_area": options["surge_area"],
            "surge_pct": options["surge"],
        }
        try:
            events = drills.parse_events(raw)
        except DomainError as exc:
            lines = [f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in exc.details.items()]
            raise CommandError("; ".join(lines) or str(exc)) from exc

        def report(pct: int, message: str) -> None:
            if options["progress"]:
                sys.stderr.write(f"{pct:3d}% {message}\n")

        result = drills.run(events, actor=SystemActor("drill"), report=report)
        if options["format"] == "json":
            text = json.dumps(result, ensure_ascii=False)
            if options.get("output"):
                Path(options["output"]).write_text(text + "\n", encoding="utf-8")
            else:
                self.stdout.write(text)
            return
        if not options.get("output"):
            raise CommandError("--output FILE is needed for xlsx and pdf")
        content, _type, _name = drill_document(result, options["format"])
        Path(options["output"]).write_bytes(content)
