import json
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

# What the summary prints, in order: (outcome field, Chinese, English).
SUMMARY = [
    ("days", "回放天数", "days replayed"),
    ("requests", "需求申请", "requests"),
    ("shipments", "配送单", "shipments"),
    ("delivered_units", "送达物资（件）", "units delivered"),
    ("refused_dispatches", "暂停发运（次）", "dispatches held"),
    ("set_aside", "搁置的申请（缺坐标等）", "requests set aside"),
    ("refused_allocations", "未能执行的调配", "allocation runs refused"),
    ("counterfeit_cases", "疑似假冒批次", "counterfeit cases"),
    ("pharmacy_orders", "药房线上订单", "pharmacy orders"),
    ("fuel_sales", "加油笔数", "fuel sales"),
    ("green_channel_litres", "绿色通道加油（升）", "green-channel litres"),
    ("relief_approved", "租金减免批准", "rent relief approved"),
    ("inspections", "复商复市检查", "reopening inspections"),
    ("farm_input_units", "农资（件）", "farm input units"),
    ("industrial_tonnes", "工业客户（吨）", "industrial tonnes"),
    ("ordered_cases", "防疫物资采购（箱）", "cases ordered"),
    ("received_cases", "防疫物资到货（箱）", "cases received"),
    ("supplier_shortfall_cases", "供应商缺货（箱）", "cases short-delivered"),
    ("pro_rata_lines", "按比例分配的需求行", "lines served pro rata"),
    ("pro_rata_days", "按比例分配的天数", "days with pro-rata allocation"),
    ("cut_lines", "因缺货未分到的需求行", "lines cut by shortage"),
    ("carried_over_lines", "结转后补足的需求行", "lines served over several days"),
]
TIERS = {1: "一级 / tier 1", 2: "二级 / tier 2", 3: "三级 / tier 3", 4: "四级 / tier 4", 5: "五级 / tier 5"}


class Command(BaseCommand):
    help = "Replay a scenario through the real actions: `demo --scenario baoshan-2022 [--seed N] [--days 60]`."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scenario", default="baoshan-2022", choices=["baoshan-2022"])
        parser.add_argument("--seed", type=int, default=2022)
        parser.add_argument("--days", type=int, default=60)
        parser.add_argument("--json", action="store_true", help="print the outcome as one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        from baogong.demo.scenario import Scenario

        if not 1 <= options["days"] <= 61:
            raise CommandError("--days must be between 1 and 61 / 回放天数须在 1 到 61 之间")
        started = time.monotonic()
        self._migrate_if_needed()

        def progress(pct: int, message: str) -> None:
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r[{bar:<25}] {pct:3d}% {message[:60]:<60}")
            sys.stderr.flush()

        outcome = Scenario(seed=options["seed"], days=options["days"], progress=progress).run()
        sys.stderr.write("\n")
        listed = ("refused_dispatches", "set_aside", "refused_allocations")
        values = {k: v for k, v in outcome.__dict__.items() if k != "notes" and k not in listed}
        for key in listed:
            values[key] = len(getattr(outcome, key))
        values["seconds"] = round(time.monotonic() - started, 1)
        if options["json"]:
            self.stdout.write(json.dumps(values, ensure_ascii=False))
            return
        self.stdout.write(f"回放完成 / replay finished: {values['seconds']} 秒 / s, seed {options['seed']}")
        for key, chinese, english in SUMMARY:
            if key in values:
                self.stdout.write(f"  {chinese} / {english}: {values[key]:,}")
        self.stdout.write(f"  满足率 / fill rate: {outcome.fill_rate:.1%}")
        for tier, label in TIERS.items():
            wanted = outcome.requested_by_tier.get(tier, 0)
            if not wanted and not outcome.unmet_by_tier.get(tier):
                continue
            got = outcome.delivered_by_tier.get(tier, 0)
            rate = f"{got / wanted:.1%}" if wanted else "—"
            self.stdout.write(
                f"  {label}: 需求 / requested {wanted:,}，送达 / delivered {got:,}（{rate}），"
                f"未满足 / unmet {outcome.unmet_by_tier.get(tier, 0):,}"
            )
        notes = [
            *outcome.notes[:20],
            *outcome.refused_dispatches[:10],
            *outcome.set_aside[:10],
            *outcome.refused_allocations[:10],
        ]
        if notes:
            self.stdout.write("记录 / notes:")
            for note in notes:
                self.stdout.write(f"  {note}")
        self.stdout.write("查看 / see: baogong report summary --from 2022-04-01 --to 2022-05-31")

    def _migrate_if_needed(self) -> None:
        """A fresh database is set up here (migrate); base data is loaded by the replay itself."""
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            sys.stderr.write("数据库尚未初始化，正在迁移 / setting up the database (migrate)…\n")
            call_command("migrate", interactive=False, verbosity=0)
