from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run a background worker: the database queue by default, Redis (RQ) when BAOGONG_TASK_BACKEND=redis."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Exit when the queue is empty.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.TASK_BACKEND == "redis":
            extra = ["--burst"] if options["batch"] else []
            call_command("rqworker", "default", "--job-class", "django_tasks_rq.backend.Job", *extra)
        else:
            extra = ["--batch"] if options["batch"] else []
            call_command("db_worker", "--interval", "1", *extra)
