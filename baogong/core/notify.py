"""Notifications: an in-app row now; pushed to group robots and e-mail by background tasks.

``notify(..., subject=...)`` records the notice in the caller's transaction and queues one delivery
per configured channel of that subject (daily report, outbreak, recall, shortage; see
:mod:`baogong.core.deliveries`): nothing is posted inside the request.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from baogong.core.models import Notification

log = logging.getLogger(__name__)
SUBJECTS = ("daily_report", "outbreak", "recall", "shortage")


def notify(
    title: str,
    body: str = "",
    *,
    level: str = Notification.Level.INFO,
    link: str = "",
    recipient: Any = None,
    organisation_id: int | None = None,
    site_id: int | None = None,
    subject: str = "",
    extra_targets: Any = (),
) -> Notification:
    """Record a notification (inside the caller's transaction) and queue its deliveries to the
    channels of ``subject`` (and ``extra_targets``: ``(kind, target)`` pairs) for after commit."""
    from baogong.core.deliveries import queue

    note = Notification.objects.create(
        title=title[:200],
        body=body,
        level=level,
        link=link,
        recipient=recipient,
        organisation_id=organisation_id,
        site_id=site_id,
    )
    queue(note, subject, extra=extra_targets)
    return note


# --- the in-app inbox ----------------------------------------------------------------------------


def notifications_for(user: Any) -> Any:
    """The notifications ``user`` may see: addressed to them, or to nobody in particular and about
    an organisation or site of their scope (global users: all of those)."""
    from django.db.models import Q

    from baogong.core.scoping import scope_q, user_scope

    scope = user_scope(user)
    shared = Q(recipient__isnull=True) & scope_q(Notification, scope)
    return Notification.objects.filter(Q(recipient_id=user.pk) | shared)


def unread_count(user: Any) -> int:
    return int(notifications_for(user).filter(is_read=False).count())


def mark_read(notifications: Any, *, actor: Any) -> int:
    """Mark the given (already scoped) notifications read, audited once per call; returns how many."""
    from baogong.core import audit
    from baogong.core.locks import unread_notifications_for_update

    with transaction.atomic():
        rows = unread_notifications_for_update(notifications)
        if not rows:
            return 0
        Notification.objects.filter(pk__in=[pk for pk, _t in rows]).update(is_read=True)
        first = Notification.objects.get(pk=rows[0][0])
        audit.record(
            "read_notifications",
            first,
            actor=actor,
            after={"count": len(rows), "notifications": [pk for pk, _t in rows][:100]},
            organisation_id=first.organisation_id,
            site_id=first.site_id,
            object_repr=first.title if len(rows) == 1 else f"{first.title} (+{len(rows) - 1})",
        )
    return len(rows)
