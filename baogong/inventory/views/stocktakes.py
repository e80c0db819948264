"""Stocktake pages: list, count sheet, found stock, approval."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baogong.catalog.resolvers import UNKNOWN_ITEM, item_by_code
from baogong.core import field
from baogong.core.actionviews import run_action
from baogong.core.errors import DomainError
from baogong.core.excel import XLSX_CONTENT_TYPE, workbook_bytes
from baogong.core.fieldviews import field_page
from baogong.core.forms import show_domain_error
from baogong.core.htmx import paginate
from baogong.core.pdf import pdf_response
from baogong.core.permissions import require_perm
from baogong.core.scoping import get_scoped_or_404, scoped
from baogong.inventory import actions, queries, resolvers
from baogong.inventory.forms import FoundStockForm, StocktakeStartForm
from baogong.inventory.locations import default_location
from baogong.inventory.models import Stocktake
from baogong.inventory.views.common import _datalists


# --- stocktakes -------------------------------------------------------------------------------
@require_perm("inventory.view_stocktake")
def stocktake_list(request: HttpRequest) -> HttpResponse:
    form = StocktakeStartForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not request.user.has_perm("inventory.count_stock"):
            raise PermissionDenied
        if form.is_valid():
            try:
                stocktake = actions.start_stocktake(
                    form.cleaned_data["warehouse"],
                    actor=request.user,
                    is_blind=form.cleaned_data["is_blind"],
                    note=form.cleaned_data["note"],
                )
                return redirect("inventory:stocktake_detail", pk=stocktake.pk)
            except DomainError as exc:
                show_domain_error(form, exc)
    qs = scoped(Stocktake.objects.select_related("warehouse", "created_by"), request.user).order_by("-created_at")
    return render(
        request, "inventory/stocktake_list.html", {"page": paginate(request, qs), "form": form, "params": request.GET}
    )


def _stocktake(request: HttpRequest, pk: int) -> Stocktake:
    return get_scoped_or_404(Stocktake.objects.select_related("warehouse"), request.user, pk=pk)


def _show_expected(request: HttpRequest, stocktake: Stocktake) -> bool:
    return (
        not stocktake.is_blind or stocktake.status != "counting" or request.user.has_perm("inventory.approve_stocktake")
    )


@require_perm("inventory.view_stocktake")
@field_page
def stocktake_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The count sheet; the keeper's phone or tablet keeps it for counting without network (counts
    recorded offline arrive from the phone's queue, :func:`queued_counts`)."""
    stocktake = _stocktake(request, pk)
    lines = stocktake.lines.select_related("location", "item", "lot")
    if request.method == "POST":
        if not request.user.has_perm("inventory.count_stock"):
            raise PermissionDenied
        if field.is_queued(request):
            return queued_counts(request, stocktake, list(lines))
        counts: dict[int, int] = {}
        bad = []
        for line in lines:
            raw = request.POST.get(f"count-{line.pk}", "").strip()
            if raw == "":
                continue
            try:
                counts[line.pk] = int(raw)
            except ValueError:
                bad.append(line.pk)
        if bad:
            messages.error(request, _("Counts are whole numbers, zero or more."))
        else:
            try:
                actions.record_counts(stocktake, counts, actor=request.user)
                if request.POST.get("submit"):
                    actions.submit_stocktake(stocktake, actor=request.user)
                messages.success(request, _("Counts saved."))
                return redirect("inventory:stocktake_detail", pk=stocktake.pk)
            except DomainError as exc:
                show_domain_error(request, exc)
    return _stocktake_page(request, stocktake, FoundStockForm())


def queued_counts(request: HttpRequest, stocktake: Stocktake, lines: list[Any]) -> HttpResponse:
    """Counts from the phone's queue: each line with the version of its bin's stock the sheet
    showed (``v-<line>``); a count whose bin's stock moved meanwhile, or a count no longer open,
    becomes an offline conflict for the approver, never an overwrite. A replay of the same device
    event answers the first answer."""
    counts: dict[int, int] = {}
    seen: dict[int, str] = {}
    payload: dict[str, str] = {}
    for line in lines:
        raw = request.POST.get(f"count-{line.pk}", "").strip()
        if raw == "":
            continue
        try:
            counts[line.pk] = int(raw)
        except ValueError:
            return field.queue_answer(
                400, code="invalid", details={f"count-{line.pk}": [_("Counts are whole numbers, zero or more.")]}
            )
        seen[line.pk] = request.POST.get(f"v-{line.pk}", "")[:16]
        payload[f"{line.location.code} {line.item.code} {line.lot.batch}"] = raw
    submit = bool(request.POST.get("submit"))

    def run() -> Stocktake:
        done = actions.record_counts(stocktake, counts, actor=request.user, seen=seen)
        if submit:
            done = actions.submit_stocktake(stocktake, actor=request.user)
        return done

    return field.answer_queued(
        request,
        run,
        target=lambda: field.ConflictTarget(
            kind="stock_count",
            object_label=_("Count %(number)s at %(site)s") % {"number": stocktake.number, "site": stocktake.warehouse},
            link=reverse("inventory:stocktake_detail", args=[stocktake.pk]),
            permission="inventory.approve_stocktake",
            organisation_id=stocktake.warehouse.organisation_id,
            site_id=stocktake.warehouse_id,
            payload=payload,
        ),
        answer=lambda done: {"stocktake": done.number, "counted": len(counts)},
        done=lambda _done: _("Counts saved."),
    )


def _stocktake_page(request: HttpRequest, stocktake: Stocktake, found_form: FoundStockForm) -> HttpResponse:
    lines = list(stocktake.lines.select_related("location", "item", "lot"))
    versions = queries.count_versions(lines) if stocktake.status == "counting" else {}
    for line in lines:
        line.version = versions.get(line.pk, "")  # type: ignore[attr-defined]
    return render(
        request,
        "inventory/stocktake_detail.html",
        {
            "stocktake": stocktake,
            "lines": lines,
            "show_expected": _show_expected(request, stocktake),
            "found_form": found_form,
            "counted": sum(1 for line in lines if line.counted_qty is not None),
            **_datalists(request, stocktake.warehouse),
        },
    )


@require_perm("inventory.count_stock")
def stocktake_found(request: HttpRequest, pk: int) -> HttpResponse:
    """Count a lot that is not on the sheet: an existing batch or a new one (with its expiry), in a bin."""
    stocktake = _stocktake(request, pk)
    if request.method != "POST":
        return redirect("inventory:stocktake_detail", pk=stocktake.pk)
    form = FoundStockForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        item = item_by_code(data["found_item"].strip())
        code = (data.get("found_location") or "").strip()
        location = (
            resolvers.stock_location(stocktake.warehouse, code) if code else default_location(stocktake.warehouse)
        )
        if item is None:
            form.add_error("found_item", UNKNOWN_ITEM)
        if location is None:
            form.add_error("found_location", resolvers.UNKNOWN_LOCATION)
        if item is not None and location is not None:
            try:
                line = actions.count_found_stock(
                    stocktake,
                    item=item,
                    location=location,
                    qty=data["found_qty"],
                    batch=data["found_batch"],
                    expiry=data.get("found_expiry"),
                    actor=request.user,
                )
                messages.success(
                    request,
                    _("Counted %(qty)d of %(item)s batch %(batch)s in %(bin)s.")
                    % {"qty": line.counted_qty, "item": item.code, "batch": line.lot.batch, "bin": location.code},
                )
                return redirect("inventory:stocktake_detail", pk=stocktake.pk)
            except DomainError as exc:
                details = exc.details if isinstance(exc.details, dict) else {}
                exc.details = {f"found_{k}": v for k, v in details.items()}
                show_domain_error(form, exc)
    return _stocktake_page(request, stocktake, form)


def _sheet_rows(stocktake: Stocktake, show_expected: bool) -> list[list[Any]]:
    return [
        [
            line.location.code,
            line.item.code,
            line.item.name,
            line.item.unit,
            line.lot.batch,
            line.lot.expiry,
            line.expected_qty if show_expected else "",
            line.counted_qty if line.counted_qty is not None else "",
        ]
        for line in stocktake.lines.select_related("location", "item", "lot")
    ]


@require_perm("inventory.view_stocktake")
def stocktake_sheet(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    stocktake = _stocktake(request, pk)
    show = _show_expected(request, stocktake) and request.GET.get("blind") != "1"
    rows = _sheet_rows(stocktake, show)
    if fmt == "xlsx":
        headers = [
            "库位 Bin",
            "编码 Item",
            "名称 Name",
            "单位 Unit",
            "批号 Batch",
            "有效期 Expiry",
            "账面 Expected",
            "实盘 Counted",
        ]
        body = workbook_bytes(stocktake.number, headers, rows)
        response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{stocktake.number}.xlsx"'
        return response
    by_bin: dict[str, list[list[Any]]] = {}
    for row in rows:
        by_bin.setdefault(row[0], []).append(row)
    return pdf_response(
        "inventory/stocktake_sheet_pdf.html",
        {"stocktake": stocktake, "bins": by_bin, "show_expected": show},
        f"{stocktake.number}.pdf",
    )


@require_POST
@require_perm("inventory.approve_stocktake")
def stocktake_approve(request: HttpRequest, pk: int) -> HttpResponse:
    stocktake = _stocktake(request, pk)
    decide = actions.cancel_stocktake if request.POST.get("decision") == "cancel" else actions.approve_stocktake
    return run_action(
        request,
        lambda: decide(stocktake, actor=request.user),
        done=_("Decision saved."),
        then=redirect("inventory:stocktake_detail", pk=stocktake.pk),
    )
