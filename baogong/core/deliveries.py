"""Notifications pushed to group robots and e-mail as background tasks, retried with backoff.

:func:`queue` writes one :class:`~baogong.core.models.NotificationDelivery` per target inside the
caller's transaction and enqueues a task per delivery after commit: the request that caused the
notification never waits for a robot (an enqueue is one insert, or one Redis push; if even that
fails the sweeper below finds the delivery). The task (:func:`deliver_task`, run by
``baogong worker`` on any machine) claims the delivery with one conditional UPDATE (two workers
never both send it), posts, and records the answer; a failure is retried after
``BAOGONG_NOTIFY_RETRY_DELAYS`` seconds (30 s, 2 min, 10 min, 30 min by default), then the delivery
is marked failed. :func:`retry_due`, run by the scheduler every tick, re-enqueues deliveries whose
time has come (lost enqueues, task backends without delays, workers that died mid-send).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import default_task_backend, task

from baogong.core.models import Notification, NotificationChannel, NotificationDelivery
from baogong.core.robots import Message, email_parts, post, robot_request

logger = logging.getLogger(__name__)
Status = NotificationDelivery.Status
Kind = NotificationChannel.Kind
LOST_AFTER = dt.timedelta(seconds=60)  # a delivery still waiting this long after its time is re-enqueued
STALE_SENDING = dt.timedelta(minutes=10)  # a worker that died while sending
CLOCK_SKEW = dt.timedelta(seconds=2)


def retry_delays() -> list[float]:
    return [float(d) for d in str(settings.BAOGONG_NOTIFY_RETRY_DELAYS).split(",") if d.strip()]


def kind_of_url(url: str) -> str:
    """The robot a webhook address belongs to (for addresses set without a kind)."""
    if "dingtalk" in url:
        return str(Kind.DINGTALK)
    if "feishu" in url or "larksuite" in url:
        return str(Kind.FEISHU)
    return str(Kind.WECOM)


def channels_for(subject: str, organisation_id: int | None) -> list[NotificationChannel]:
    """Active channels that take ``subject`` for this organisation (or for every one)."""
    if not subject:
        return []
    rows = NotificationChannel.objects.filter(is_active=True)
    if organisation_id is not None:
        rows = rows.filter(Q(organisation_id__isnull=True) | Q(organisation_id=organisation_id))
    return [c for c in rows.order_by("pk") if subject in (c.subjects or [])]


def queue(
    note: Notification, subject: str = "", *, extra: Iterable[tuple[str, str]] = ()
) -> list[NotificationDelivery]:
    """Deliveries of ``note`` to the channels of ``subject``, the operator's ``BAOGONG_WEBHOOK_URL``
    and ``extra`` ``(kind, target)`` (unsigned robots, e-mail addresses); each is enqueued once the caller's transaction commits."""
    now = timezone.now()
    rows: list[NotificationDelivery] = []
    for channel in channels_for(subject, note.organisation_id):
        rows.append(NotificationDelivery(notification=note, channel=channel, kind=channel.kind, target=channel.target))
    targets = [(kind_of_url(settings.BAOGONG_WEBHOOK_URL), settings.BAOGONG_WEBHOOK_URL)] * bool(
        settings.BAOGONG_WEBHOOK_URL
    )
    targets += list(extra)
    for kind, target in dict.fromkeys(targets):
        if target and not any(r.target == target for r in rows):
            rows.append(NotificationDelivery(notification=note, kind=kind, target=target))
    for row in rows:
        row.subject, row.created_at, row.next_attempt_at = subject, now, now + LOST_AFTER
        row.organisation_id, row.site_id = note.organisation_id, note.site_id
    made = NotificationDelivery.objects.bulk_create(rows)
    ids = [d.pk for d in made]
    if ids:
        transaction.on_commit(lambda: enqueue(ids))
    return made


def enqueue(ids: Sequence[int], *, at: dt.datetime | None = None) -> None:
    """Hand the deliveries to the task queue; a queue that does not answer is logged, not raised
    (:func:`retry_due` finds them)."""
    for pk in ids:
        try:
            if at is not None and default_task_backend.supports_defer:
                deliver_task.using(run_after=at).enqueue(pk)
            elif at is None:
                deliver_task.enqueue(pk)
        except Exception:  # noqa: BLE001 - a queue failure must never fail the user's request
            logger.warning("could not enqueue notification delivery %s; the sweeper will", pk, exc_info=True)


def _claim(pk: int, now: dt.datetime) -> NotificationDelivery | None:
    due = Q(attempts=0) | Q(next_attempt_at__lte=now + CLOCK_SKEW)
    stale = Q(status=Status.SENDING, claimed_at__lt=now - STALE_SENDING)
    taken = (
        NotificationDelivery.objects.filter(pk=pk)
        .filter((Q(status=Status.PENDING) & due) | stale)
        .update(status=Status.SENDING, claimed_at=now)
    )
    if taken != 1:
        return None
    return NotificationDelivery.objects.select_related("notification", "channel").get(pk=pk)


def _send(delivery: NotificationDelivery) -> str:
    note = delivery.notification
    channel = delivery.channel
    mentions = tuple(m.strip() for m in (channel.mentions if channel else "").split(",") if m.strip())
    message = Message(note.title, note.body, _absolute(note.link), mentions)
    if delivery.kind == Kind.EMAIL:
        subject, body = email_parts(message)
        to = [a.strip() for a in delivery.target.split(",") if a.strip()]
        EmailMessage(subject=subject, body=body, to=to).send(fail_silently=False)
        return f"sent to {len(to)}"
    secret = channel.secret if channel else ""
    url, payload = robot_request(delivery.kind, delivery.target, message, secret)
    return post(url, payload)


def _absolute(link: str) -> str:
    if link.startswith("/"):
        return str(settings.BAOGONG_PUBLIC_BASE_URL).rstrip("/") + link
    return link


def attempt(pk: int, *, now: dt.datetime | None = None) -> str:
    """Try one delivery once (if it is due and no other worker has it); its status afterwards."""
    now = now or timezone.now()
    delivery = _claim(pk, now)
    if delivery is None:
        return "skipped"
    try:
        _send(delivery)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        attempts = delivery.attempts + 1
        delays = retry_delays()
        error = f"{type(exc).__name__}: {exc}"[:300]
        logger.warning("notification delivery %s failed (attempt %s): %s", pk, attempts, error)
        if attempts <= len(delays):
            when = now + dt.timedelta(seconds=delays[attempts - 1])
            NotificationDelivery.objects.filter(pk=pk).update(
                status=Status.PENDING, attempts=attempts, last_error=error, next_attempt_at=when
            )
            enqueue([pk], at=when)
            return str(Status.PENDING)
        NotificationDelivery.objects.filter(pk=pk).update(
            status=Status.FAILED, attempts=attempts, last_error=error, next_attempt_at=None
        )
        return str(Status.FAILED)
    NotificationDelivery.objects.filter(pk=pk).update(
        status=Status.SENT, attempts=delivery.attempts + 1, sent_at=timezone.now(), next_attempt_at=None
    )
    return str(Status.SENT)


@task()
def deliver_task(delivery_id: int) -> str:
    """The background task: one attempt at one delivery."""
    return attempt(delivery_id)


def retry_due(now: dt.datetime | None = None) -> int:
    """Enqueue the deliveries whose time has come (or whose worker died); how many."""
    now = now or timezone.now()
    due = NotificationDelivery.objects.filter(
        Q(status=Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Status.SENDING, claimed_at__lt=now - STALE_SENDING)
    ).values_list("pk", flat=True)[:500]
    ids = list(due)
    enqueue(ids)
    return len(ids)


def summary_for(notifications: Any) -> dict[int, list[NotificationDelivery]]:
    """The deliveries of the given notifications, by notification id (for the inbox page)."""
    found: dict[int, list[NotificationDelivery]] = {}
    for row in NotificationDelivery.objects.filter(notification__in=notifications).order_by("pk"):
        found.setdefault(row.notification_id, []).append(row)
    return found
