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
