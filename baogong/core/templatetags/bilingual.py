from django import template

from baogong.core.bilingual import in_reader_language

register = template.Library()


@register.filter
def reader_language(value: object) -> str:
    """``{{ reason|reader_language }}``: one half of a "中文 / English" text (see core.bilingual)."""
    return in_reader_language(value)
