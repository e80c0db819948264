from typing import Any

from django.core.management.base import BaseCommand

from baogong.demo.actions import load_base_data, load_demo_accounts, load_demo_records
from baogong.demo.workday import load_demo_workday
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
            workday, refused = load_demo_workday()
            self.stdout.write(f"demo workday: {workday}")
            for reason in refused:
                self.stdout.write(f"  demo workday refused / 未能生成: {reason}")
            if not scenario_replayed():
                self.stdout.write(SCENARIO_HINT)


SCENARIO_HINT = (
    "\n  想看平台在真实规模数据上运转？回放 2022 年宝山封控 60 天（几分钟，只需一次）:\n"
    "  To see the platform on realistic data, replay the 2022 Baoshan lockdown once (a few minutes):\n\n"
    "      .venv/bin/baogong demo --scenario baoshan-2022 --seed 2022 --days 60\n"
)


def scenario_replayed() -> bool:
    """The scenario leaves its case items (SC-…) behind; bootstrap stops suggesting it then."""
    from baogong.catalog.models import Item

    return Item.objects.filter(code__startswith="SC-").exists()
