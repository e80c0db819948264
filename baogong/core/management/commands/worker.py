from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from baogong.core.schedule import SchedulerThread, retry_due_deliveries, run_due


class Command(BaseCommand):
    help = (
        "Run a background worker: the database queue by default, Redis (RQ) when BAOGONG_TASK_BACKEND=redis; "
        "it also runs the apps' daily jobs (baogong.core.schedule) once a day each."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Exit when the queue is empty.")
        parser.add_argument(
            "--no-schedule", action="store_true", help="Do not run the daily jobs in this worker (another one does)."
        )
        parser.add_argument(
            "--schedule-interval", type=float, default=60.0, help="Seconds between checks for due daily jobs."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scheduler: SchedulerThread | None = None
        if not options["no_schedule"]:
            if options["batch"]:
                for run in run_due():
                    self.stdout.write(f"{run.name}\t{run.date}\t{run.status}")
                retry_due_deliveries()
            else:
                scheduler = SchedulerThread(interval=options["schedule_interval"])
                scheduler.start()
        try:
            if settings.TASK_BACKEND == "redis":
                extra = ["--burst"] if options["batch"] else []
                # --with-scheduler: tasks enqueued to run later (notification retries) are moved in on time
                call_command(
                    "rqworker", "default", "--job-class", "django_tasks_rq.backend.Job", "--with-scheduler", *extra
                )
            else:
                extra = ["--batch"] if options["batch"] else []
                call_command("db_worker", "--interval", "1", *extra)
        finally:
            if scheduler is not None:
                scheduler.stop()
