"""The traceability lookup: from a drug traceability code, its receipt, supplier, transfers and the
order it was dispensed for; and the QC signals of blocked codes."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from baogong.catalog.resolvers import item_by_code
from baogong.core.errors import DomainError
from baogong.core.forms import show_domain_error
from baogong.core.permissions import require_perm
from baogong.core.scancodes import ScanError, check_trace_code
from baogong.inventory import actions, trace_queries
from baogong.inventory.forms import TraceReceiveForm
from baogong.inventory.models import Lot
from baogong.inventory.trace import PackInput
from baogong.inventory.views.common import _datalists


def _order_url(reference: str, document_id: int | None) -> str:
    """The dispensing order's page (the pharmacy's URL, by name: inventory imports no pharmacy)."""
    if not document_id:
        return ""
    try:
        return reverse("pharmacy:order_detail", args=[document_id])
    except NoReverseMatch:
        return ""


@require_perm("inventory.view_tracecode")
def trace_lookup(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("code", "")[:64]
    code, error, row = "", "", None
    if raw.strip():
        try:
            code = check_trace_code(raw)
        except ScanError as exc:
            error = exc.reason
        else:
            row = trace_queries.trace_codes_for(request.user).filter(code=code).first()
    signals = trace_queries.trace_signals_for(request.user)
    context = {
        "code": code or raw.strip(),
        "error": error,
        "row": row,
        "order_url": _order_url(row.dispensed_reference, row.dispensed_document_id) if row else "",
        "packs": row.children.order_by("code")[:200] if row and row.is_aggregate else [],
        "signals": signals.filter(code=code)[:50] if code else signals[:50],
    }
    return render(request, "inventory/trace_lookup.html", context)


@require_perm("inventory.receive_stock")
def trace_receive(request: HttpRequest) -> HttpResponse:
    form = TraceReceiveForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        item = item_by_code(data["item"])
        lot = Lot.objects.filter(item=item, batch=data["batch"].strip()).first() if item else None
        if item is None:
            form.add_error("item", _("No item with this code."))
        elif lot is None:
            form.add_error("batch", _("No lot with this batch of the item: receive the stock first."))
        else:
            codes = [c for c in re.split(r"[\s,;，；]+", data["trace_codes"]) if c]
            packs = (
                [PackInput(data["aggregate"], codes)] if data["aggregate"].strip() else [PackInput(c) for c in codes]
            )
            try:
                rows = actions.receive_trace_codes(
                    data["warehouse"], lot, packs, reference=data["reference"], actor=request.user
                )
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                count = sum(1 + r.children.count() for r in rows)
                messages.success(request, _("%(n)d traceability codes recorded.") % {"n": count})
                return redirect("inventory:trace_receive")
    context = {"form": form, **_datalists(request)}
    return render(request, "inventory/trace_receive.html", context, status=400 if form.errors else 200)
