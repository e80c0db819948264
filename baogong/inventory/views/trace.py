"""The traceability lookup: from a drug traceability code, its receipt, supplier, transfers and the
order it was dispensed for; and the QC signals of blocked codes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from baogong.core.permissions import require_perm
from baogong.core.scancodes import ScanError, check_trace_code
from baogong.inventory import trace_queries


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
