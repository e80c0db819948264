"""``baogong report summary|daily|send-daily``: the work summary and the daily situation report."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from baogong.core.audit import SystemActor
from baogong.reports.daily import situation
from baogong.reports.documents import DAILY, SUMMARY, build_report, render
from baogong.reports.figures import Period


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = "Write the work summary (工作总结) or the daily situation report (日报), or send the daily report."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        summary = sub.add_parser("summary", help="work summary for a period")
        summary.add_argument("--from", dest="date_from", required=True)
        summary.add_argument("--to", dest="date_to", required=True)
        daily = sub.add_parser("daily", help="daily situation report for one day")
        daily.add_argument("--date", required=True)
        summary.add_argument("--format", choices=["md", "xlsx", "pdf"], default="md")
        daily.add_argument(
            "--format", choices=["md", "xlsx", "pdf", "json"], default="md", help="json: the day's situation as data"
        )
        for p in (summary, daily):
            p.add_argument("--output", help="file to write (stdout for md and json when omitted)")
        send = sub.add_parser("send-daily", help="send the daily report to the configured recipients (for cron)")
        send.add_argument("--date", help="the day to report (default: yesterday)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor("report")
        action = options["action"]
        if action == "send-daily":
            from baogong.reports.delivery import send_daily_report

            day = _date(options["date"]) if options.get("date") else timezone.localdate() - dt.timedelta(days=1)
            sent = send_daily_report(day)
            self.stdout.write(
                f"daily report for {day} sent to {sent['emails']} e-mail(s) and {sent['webhooks']} webhook(s)"
            )
            return
        if action == "summary":
            period = Period(_date(options["date_from"]), _date(options["date_to"]))
            kind = SUMMARY
        else:
            day = _date(options["date"])
            period = Period(day, day)
            kind = DAILY
        if period.end < period.start:
            raise CommandError("--to is before --from")
        fmt = options["format"]
        if fmt == "json":
            body = json.dumps(situation(actor, period.start).as_json(), ensure_ascii=False, indent=2).encode() + b"\n"
        else:
            body = render(build_report(actor, kind, period), fmt)
        output = options.get("output")
        if output:
            Path(output).write_bytes(body)
            self.stderr.write(f"written {output} ({len(body)} bytes)")
        elif fmt in ("md", "json"):
            self.stdout.write(body.decode(), ending="")
        else:
            raise CommandError("--output is required for xlsx and pdf")
        sys.stdout.flush()
