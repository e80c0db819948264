"""Texts written once in both languages ("中文 / English", as refusals and clearance reasons are:
API clients get both) shown on a page in the reader's language only."""

from __future__ import annotations

import re

from django.utils.translation import get_language

# the Chinese half ends in a CJK character or full-width punctuation, then " / " or "）/ "
PAIR = re.compile(r"^(?P<zh>.*?[\u3000-\u9fff\uff00-\uffef])\s*/\s+(?P<en>[^\u3000-\u9fff]+)$", re.S)


def in_reader_language(text: object) -> str:
    """The Chinese half of "中文 / English" on a Chinese page, the English half on an English one;
    any other text as it is."""
    value = str(text)
    match = PAIR.match(value)
    if match is None:
        return value
    return match["en"].strip() if (get_language() or "zh-hans").startswith("en") else match["zh"].strip()
