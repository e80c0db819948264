"""What a home card is made of: a card, its rows and links, and the helpers that build them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

ROWS = 5


@dataclass
class Link:
    label: str
    url: str
    icon: str = ""


@dataclass
class Row:
    label: str
    url: str | None = None
    detail: str = ""
    links: list[Link] = field(default_factory=list)


@dataclass
class Card:
    key: str
    title: Any  # str or a lazy translation
    count: int | None
    url: str | None
    rows: list[Row]
    empty: Any
    icon: str = "inbox"
    actions: list[Link] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max((self.count or 0) - len(self.rows), 0)


def _url(name: str, *args: Any, **params: Any) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(params)}" if params else url


def _perms(user: Any, *perms: str) -> bool:
    return all(user.has_perm(p) for p in perms)


def _action(user: Any, perm: str, label: str, name: str, icon: str = "plus-lg") -> list[Link]:
    return [Link(label, _url(name), icon)] if user.has_perm(perm) else []


def _card(
    key: str, title: str, qs: QuerySet[Any] | list[Any], url: str | None, row: Callable[[Any], Row], **kw: Any
) -> Card:
    if isinstance(qs, list):
        count, first = len(qs), qs[:ROWS]
    else:
        count, first = qs.count(), list(qs[:ROWS])
    return Card(key=key, title=title, count=count, url=url, rows=[row(obj) for obj in first], **kw)


def _map_link(site: Any) -> Link | None:
    if site.lat is None or site.lon is None:
        return None
    params = urlencode({"position": f"{site.lon},{site.lat}", "name": site.name, "src": "baogong", "callnative": 1})
    return Link(_("Map"), f"https://uri.amap.com/marker?{params}", "geo-alt")
