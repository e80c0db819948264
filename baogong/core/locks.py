"""Ordered row locks of the shared kernel's own records (notifications, offline conflicts)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from baogong.core.models import FieldConflict, Notification


def unread_notifications_for_update(notifications: QuerySet[Notification]) -> list[tuple[Any, str]]:
    """``(pk, title)`` of the unread notifications among ``notifications``, locked in pk order."""
    return list(
        notifications.filter(is_read=False).select_for_update(of=("self",)).order_by("pk").values_list("pk", "title")
    )


def conflict_for_update(pk: int) -> FieldConflict:
    """One offline conflict, locked (its review)."""
    return FieldConflict.objects.select_for_update().get(pk=pk)
