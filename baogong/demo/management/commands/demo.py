import json
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Replay a scenario through the real actions: `demo --scenario baoshan-2022 [--seed N] [--days 60]`."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scenario", default="baoshan-2022", choices=["baoshan-2022"])
        parser.add_argument("--seed", type=int, default=2022)
        parser.add_argument("--days", type=int, default=60)

    def handle(self, *args: Any, **options: Any) -> None:
        from baogong.demo.scenario import Scenario

        if not 1 <= options["days"] <= 61:
            raise CommandError("--days must be between 1 and 61")
        started = time.monotonic()

        def progress(pct: int, message: str) -> None:
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r[{bar:<25}] {pct:3d}% {message[:60]:<60}")
            sys.stderr.flush()

        outcome = Scenario(seed=options["seed"], days=options["days"], progress=progress).run()
        sys.stderr.write("\n")
        listed = ("refused_dispatches", "set_aside", "refused_allocations")
        summary = {k: v for k, v in outcome.__dict__.items() if k != "notes" and k not in listed}
        for key in listed:
            summary[key] = len(getattr(outcome, key))
        summary["seconds"] = round(time.monotonic() - started, 1)
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        for note in [
            *outcome.notes[:20],
            *outcome.refused_dispatches[:10],
            *outcome.set_aside[:10],
            *outcome.refused_allocations[:10],
        ]:
            self.stdout.write(f"  {note}")
