"""``{% export_url %}``: this list with its filters, as an Excel download (core.listexport)."""

from __future__ import annotations

from typing import Any

from django import template

from baogong.core import bulk
from baogong.core.listexport import EXPORT_PARAM

register = template.Library()


@register.simple_tag(takes_context=True)
def export_url(context: dict[str, Any]) -> str:
    request = context.get("request")
    if request is None:
        return ""
    params = request.GET.copy()
    for key in ("page", EXPORT_PARAM, "format"):
        params.pop(key, None)
    params[EXPORT_PARAM] = "xlsx"
    return f"{request.path}?{params.urlencode()}"


@register.simple_tag(takes_context=True)
def list_filtered(context: dict[str, Any]) -> bool:
    """Whether the list is narrowed by a filter (any parameter but the page)."""
    request = context.get("request")
    if request is None:
        return False
    return any(v for k, values in request.GET.lists() if k not in ("page", "page_size") for v in values)


@register.inclusion_tag("core/_bulk_bar.html", takes_context=True)
def bulk_bar(context: dict[str, Any], group: str) -> dict[str, Any]:
    """The buttons of the bulk actions of ``group`` this user may run (core.bulk)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    actions = bulk.actions_for(group, user) if user is not None else []
    return {
        "bulk_actions": actions,
        "bulk_reason": any(a.needs_reason for a in actions),
        "bulk_group": group.replace(".", "-"),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def bulk_enabled(context: dict[str, Any], group: str) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and bulk.actions_for(group, user))
