"""``{% load history %}`` ``{% describe_history events as rows %}``: audit events in words."""

from __future__ import annotations

from typing import Any

from django import template

from baogong.core.history import Described, describe_all

register = template.Library()


@register.simple_tag
def describe_history(events: Any) -> list[Described]:
    return describe_all(events)
