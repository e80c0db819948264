import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from baogong.fleet.routing import solve_vrplib


class Command(BaseCommand):
    help = 'Solve a VRPLIB instance (CVRP or VRPTW) and print {"cost": C, "routes": [[...], ...]}.'
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--vrplib", required=True, help="VRPLIB instance file (.vrp)")
        parser.add_argument("--seconds", type=float, required=True, help="time limit in seconds")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()  # the limit covers reading the file, solving and answering
        path = Path(options["vrplib"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        if options["seconds"] <= 0:
            raise CommandError("--seconds must be positive")
        answer = solve_vrplib(path, options["seconds"], options["seed"], started=started)
        self.stdout.write(json.dumps(answer))
