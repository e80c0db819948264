"""Searchable selects (Tom Select, vendored): every single or multiple choice of a form is a
select the user can type into; a long list of records searches on the server instead of
rendering thousands of options.

- ``SearchSelect`` / ``SearchSelectMultiple``: ``BootstrapMixin`` puts them on every ``Select``.
  Each renders ``data-search``; ``core/baogong.js`` turns it into a Tom Select.
- A model an app registers with :func:`register` (items, sites, people) is searched on the server
  when its field offers more than ``SERVER_SEARCH_OVER`` records: the select renders only the
  chosen option(s) and ``data-lookup``, the URL of :func:`lookup_view`. The URL carries the
  field's own narrowing (``kind=warehouse``, ``is_active=True``…) signed, so the server offers
  what the form accepts; a field narrowed in a way that cannot be carried (joins, OR) renders its
  options as before.
- :func:`lookup_view` answers only what the user may see: the model's view permission and the
  organisation scope (``core.scoping``) always apply; the signed narrowing can only narrow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import models
from django.db.models import Q
from django.db.models.expressions import Col
from django.db.models.lookups import Lookup
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from baogong.core.scoping import scoped

SEARCH_OVER = 8  # a list of fixed choices longer than this can be typed into
SERVER_SEARCH_OVER = 100
MAX_RESULTS = 30
MAX_QUERY = 64
_SALT = "baogong.lookups"
_SIMPLE = (str, int, bool)


@dataclass(frozen=True)
class Searchable:
    model: str  # "people.person"
    fields: tuple[str, ...]  # searched with icontains
    label: Callable[[Any], str]
    order_by: tuple[str, ...] = ("pk",)


REGISTRY: dict[str, Searchable] = {}


def register(
    model: str, *, fields: Iterable[str], label: Callable[[Any], str] = str, order_by: Iterable[str] = ("pk",)
) -> None:
    """Let selects of ``model`` ("app_label.modelname") search on the server. Apps call it in ready()."""
    REGISTRY[model.lower()] = Searchable(model.lower(), tuple(fields), label, tuple(order_by))


def _scoped(model: type[models.Model], user: Any) -> models.QuerySet[Any]:
    queryset = model._default_manager.all()
    if getattr(model, "scope_org_field", None) or getattr(model, "scope_site_field", None):
        return scoped(queryset, user)
    return queryset


def simple_filters(queryset: models.QuerySet[Any]) -> dict[str, Any] | None:
    """The queryset's WHERE as ``filter()`` keywords when it is a plain AND of lookups on the
    model's own columns with plain values; else None (it cannot be carried in a URL)."""
    where = queryset.query.where
    if where.negated or (where.connector != "AND" and len(where.children) > 1):
        return None
    table = queryset.model._meta.db_table
    result: dict[str, Any] = {}
    for child in where.children:
        if not isinstance(child, Lookup) or not isinstance(child.lhs, Col) or child.lhs.alias != table:
            return None
        value = child.rhs
        if isinstance(value, list | tuple | set | frozenset):
            if not all(isinstance(v, _SIMPLE) for v in value):
                return None
            value = sorted(value, key=str)
        elif not isinstance(value, _SIMPLE):
            return None
        key = f"{child.lhs.target.attname}__{child.lookup_name}"
        if key in result:
            return None
        result[key] = value
    return result


def lookup_url(queryset: models.QuerySet[Any]) -> str | None:
    """The server-side search URL for a field over ``queryset``, or None to render options."""
    label = queryset.model._meta.label_lower
    if label not in REGISTRY:
        return None
    filters = simple_filters(queryset)
    if filters is None or queryset.count() <= SERVER_SEARCH_OVER:
        return None
    token = signing.dumps({"m": label, "f": filters}, salt=_SALT, compress=True)
    return reverse("core:lookup") + "?" + "t=" + token


@require_GET
@login_required
def lookup_view(request: HttpRequest) -> JsonResponse:
    """``{"results": [{"value": pk, "text": label}]}``: up to 30 records matching ``q``."""
    try:
        token = signing.loads(request.GET.get("t", ""), salt=_SALT)
        searchable = REGISTRY[token["m"]]
        filters = dict(token["f"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise Http404 from exc
    model = apps.get_model(searchable.model)
    if not request.user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
        raise Http404
    text = " ".join(request.GET.get("q", "").split())[:MAX_QUERY]
    queryset = _scoped(model, request.user).filter(**filters)
    if text:
        match = Q()
        for field in searchable.fields:
            match |= Q(**{f"{field}__icontains": text})
        queryset = queryset.filter(match)
    rows = queryset.order_by(*searchable.order_by)[:MAX_RESULTS]
    return JsonResponse({"results": [{"value": str(obj.pk), "text": searchable.label(obj)} for obj in rows]})


def _longer_than(choices: Iterable[Any], n: int) -> bool:
    """Whether there are more than ``n`` choices (lists, lazy iterators alike; stops at n + 1)."""
    return any(count > n for count, _choice in enumerate(choices, start=1))


class _SearchMixin:
    """A select the user can type into; server-side search for long registered lists."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        choices = self.choices  # type: ignore[attr-defined]
        queryset = getattr(choices, "queryset", None)
        self._lookup = lookup_url(queryset) if queryset is not None else None
        context: dict[str, Any] = super().get_context(name, value, attrs)  # type: ignore[misc]
        widget_attrs = context["widget"]["attrs"]
        if queryset is not None or _longer_than(choices, SEARCH_OVER):
            widget_attrs["data-search"] = "1"
            widget_attrs["data-no-results"] = _("Nothing found: type part of the name or code.")
            widget_attrs["data-clear"] = _("Clear the choice")
        if self._lookup:
            widget_attrs["data-lookup"] = self._lookup
        return context

    def optgroups(self, name: str, value: list[Any], attrs: dict[str, Any] | None = None) -> list[Any]:
        if not getattr(self, "_lookup", None):
            return super().optgroups(name, value, attrs)  # type: ignore[misc]
        field = self.choices.field  # type: ignore[attr-defined]
        chosen = [v for v in value if v not in (None, "")]
        options = []
        if not getattr(self, "allow_multiple_selected", False):
            empty = field.empty_label if field.empty_label is not None else ""
            options.append(self.create_option(name, "", empty, not chosen, 0, attrs=attrs))  # type: ignore[attr-defined]
        if chosen:
            try:
                objs = list(self.choices.queryset.filter(pk__in=chosen))  # type: ignore[attr-defined]
            except (ValueError, TypeError):
                objs = []
            for index, obj in enumerate(objs, start=1):
                options.append(
                    self.create_option(  # type: ignore[attr-defined]
                        name, str(obj.pk), field.label_from_instance(obj), True, index, attrs=attrs
                    )
                )
        return [(None, options, 0)]


class SearchSelect(_SearchMixin, forms.Select):
    pass


class SearchSelectMultiple(_SearchMixin, forms.SelectMultiple):
    pass


def searchable_widget(widget: forms.Widget) -> forms.Widget:
    """The searchable twin of a plain ``Select`` / ``SelectMultiple`` (others unchanged)."""
    kind = type(widget)
    if kind is forms.Select:
        new: forms.Widget = SearchSelect(attrs=widget.attrs, choices=widget.choices)  # type: ignore[attr-defined]
    elif kind is forms.SelectMultiple:
        new = SearchSelectMultiple(attrs=widget.attrs, choices=widget.choices)  # type: ignore[attr-defined]
    else:
        return widget
    new.is_required = widget.is_required
    return new
