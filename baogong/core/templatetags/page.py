"""``{% load page %}`` ``{% page_title %}``: the page's ``title`` block once more, for its heading.

A page says its title once (``{% block title %}``) and ``core/page.html`` shows it both in the
browser tab and as the page's ``<h1>``; the two cannot drift apart."""

from __future__ import annotations

from django import template
from django.template.loader_tags import BLOCK_CONTEXT_KEY
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def page_title(context: template.Context) -> SafeString:
    blocks = context.render_context.get(BLOCK_CONTEXT_KEY)
    block = blocks.get_block("title") if blocks is not None else None
    if block is None:
        return SafeString("")
    with context.push():
        return SafeString(block.nodelist.render(context))
