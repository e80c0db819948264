import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from baogong.fleet.routing import default_workers, solve_vrplib


class Command(BaseCommand):
    help = 'Solve a VRPLIB instance (CVRP or VRPTW) and print {"cost": C, "routes": [[...], ...]}.'
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--vrplib", required=True, help="VRPLIB instance file (.vrp)")
        parser.add_argument("--seconds", type=float, required=True, help="time limit in seconds")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="independent searches side by side, the best wins (default: one per core)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()  # the limit covers reading the file, solving and answering
        path = Path(options["vrplib"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        if options["seconds"] <= 0:
            raise CommandError("--seconds must be positive")
        workers = options["workers"] if options["workers"] is not None else default_workers()
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        answer = solve_vrplib(path, options["seconds"], options["seed"], started=started, workers=workers)
        self.stdout.write(json.dumps(answer))
