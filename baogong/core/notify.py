"""Notifications: an in-app row now, and a WeCom/DingTalk group-robot webhook after commit."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

from django.conf import settings
from django.db import transaction

from baogong.core.models import Notification

log = logging.getLogger(__name__)


def notify(
    title: str,
    body: str = "",
    *,
    level: str = Notification.Level.INFO,
    link: str = "",
    recipient: Any = None,
    organisation_id: int | None = None,
    site_id: int | None = None,
) -> Notification:
    """Record a notification (inside the caller's transaction) and push it to the webhook after commit."""
    note = Notification.objects.create(
        title=title[:200],
        body=body,
        level=level,
        link=link,
        recipient=recipient,
        organisation_id=organisation_id,
        site_id=site_id,
    )
    url = settings.BAOGONG_WEBHOOK_URL
    if url:
        transaction.on_commit(lambda: post_webhook(note.pk, url, title, body, link))
    return note


def webhook_payload(url: str, title: str, body: str, link: str) -> dict[str, Any]:
    """WeCom and DingTalk group robots both take a markdown message of this shape."""
    text = f"### {title}\n\n{body}" + (f"\n\n[{link}]({link})" if link else "")
    if "dingtalk" in url:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    return {"msgtype": "markdown", "markdown": {"content": text}}


def post_webhook(notification_id: int, url: str, title: str, body: str, link: str) -> None:
    payload = json.dumps(webhook_payload(url, title, body, link), ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - URL set by the operator
            status = str(response.status)
    except Exception as exc:  # noqa: BLE001 - a webhook failure must never break the action
        log.warning("webhook failed: %s", exc)
        status = f"error: {type(exc).__name__}"[:64]
    Notification.objects.filter(pk=notification_id).update(webhook_status=status)


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
