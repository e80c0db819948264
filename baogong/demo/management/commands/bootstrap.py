from typing import Any

from django.core.management.base import BaseCommand

from baogong.demo.actions import load_base_data, load_demo_accounts, load_demo_records
from baogong.orgs.roles import sync_roles


class Command(BaseCommand):
    help = "Sync roles, load the Baoshan base data and (unless --no-demo) the demo accounts. Idempotent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-demo", action="store_true", help="Do not create demo accounts.")

    def handle(self, *args: Any, **options: Any) -> None:
        sync_roles()
        created = load_base_data()
        self.stdout.write(f"base data: {created}")
        if not options["no_demo"]:
            made = load_demo_accounts()
            self.stdout.write(f"demo accounts created: {', '.join(made) if made else 'none (already there)'}")
            for name, loaded in load_demo_records():
                self.stdout.write(f"demo {name}: {loaded}")
