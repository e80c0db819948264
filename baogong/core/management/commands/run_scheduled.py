import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from baogong.core import schedule


class Command(BaseCommand):
    help = (
        "Run the apps' daily jobs once (for cron): today's jobs whose time has come, or with --date every "
        "job for that date. A job already run for the date is skipped. One line per job: "
        "NAME<TAB>DATE<TAB>done|skipped|failed<TAB>result. Exit 1 when a job failed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--date", help="YYYY-MM-DD: run every job for this date")
        parser.add_argument("--list", action="store_true", help="List the registered jobs and exit.")
        parser.add_argument("--job", action="append", help="Run only this job (its name; may be repeated).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for job in schedule.daily_jobs():
                self.stdout.write(f"{job.name}\t{job.at:%H:%M}")
            return
        on_date = None
        if options["date"]:
            try:
                on_date = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD: {options['date']}") from exc
        jobs = schedule.daily_jobs()
        if options["job"]:
            unknown = sorted(set(options["job"]) - {j.name for j in jobs})
            if unknown:
                raise CommandError(f"no such job: {', '.join(unknown)}")
            jobs = [j for j in jobs if j.name in options["job"]]
        runs = schedule.run_due(on_date=on_date, jobs=jobs)
        schedule.retry_due_deliveries()
        for run in runs:
            detail = run.error if run.status == "failed" else json.dumps(run.result, default=str, ensure_ascii=False)
            self.stdout.write(f"{run.name}\t{run.date}\t{run.status}\t{detail}")
        if any(run.status == "failed" for run in runs):
            raise SystemExit(1)
