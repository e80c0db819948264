"""Words for the property app's stored codes on its pages (a code alone is not for people)."""

from __future__ import annotations

from django import template

from baogong.property.models import SIZE_CLASS_CHOICES

register = template.Library()

_SIZE_CLASS_LABELS = dict(SIZE_CLASS_CHOICES)


@register.filter
def size_class_label(code: str) -> str:
    """The size class in the page's language (``small`` → 小型企业 / Small enterprise); blank stays blank."""
    return str(_SIZE_CLASS_LABELS.get(code, code))
