"""Scheduled delivery of the daily situation report to the configured recipients."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from baogong.core.audit import SystemActor, record
from baogong.core.deliveries import kind_of_url
from baogong.core.notify import notify
from baogong.core.retry import retry_on_conflict
from baogong.reports.documents import DAILY, absolute, build_report, to_markdown, to_pdf
from baogong.reports.figures import Period, link

SYSTEM = SystemActor("daily-report")


@retry_on_conflict
def send_daily_report(day: dt.date) -> dict[str, int]:
    """E-mail the PDF (and the text) to every active recipient's address; post it to each webhook."""
    from baogong.command.queries import active_recipients

    recipients = list(active_recipients())
    report = build_report(SYSTEM, DAILY, Period(day, day))
    text = to_markdown(report)
    emails = sorted({r.email for r in recipients if r.email})
    webhooks = sorted({r.webhook_url for r in recipients if r.webhook_url})
    if emails:
        message = EmailMessage(subject=report.title, body=text, to=emails)
        message.attach(f"daily-{day.isoformat()}.pdf", to_pdf(report), "application/pdf")
        message.send(fail_silently=False)
    page = absolute(link("reports:daily", date=day))
    with transaction.atomic(durable=True):
        body = "\n\n".join(s.title + "：" + s.paragraph for s in report.sections) or "本日暂无可用数据。"
        notify(
            report.title,
            body,
            link=page,
            subject="daily_report",
            extra_targets=[(kind_of_url(url), url) for url in webhooks],
        )
        record(
            "send_daily_report",
            None,
            actor=SYSTEM,
            after={"day": day, "emails": emails, "webhooks": len(webhooks)},
            object_repr=report.title,
        )
    return {"emails": len(emails), "webhooks": len(webhooks)}


@task()
def send_daily_report_task(day: str | None = None) -> dict[str, Any]:
    """The morning task: yesterday's report unless a day (YYYY-MM-DD) is given."""
    when = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    return {"day": when.isoformat(), **send_daily_report(when)}
