"""Stock screens for the warehouse floor (tablet and phone). Each view parses, checks, calls one action."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baogong.catalog.models import Category, Item
from baogong.core.actionviews import run_action
from baogong.core.errors import DomainError
from baogong.core.excel import XLSX_CONTENT_TYPE, workbook_bytes
from baogong.core.forms import show_domain_error
from baogong.core.htmx import paginate, paginate_then_load, render_page_or_partial
from baogong.core.pdf import pdf_response
from baogong.core.permissions import require_perm
from baogong.core.scoping import get_scoped_or_404, scoped, user_scope
from baogong.inventory import actions, queries
from baogong.inventory.choices import STOCK_KINDS, AdjustmentStatus, QcStatus, ReservationStatus, TransferStatus
from baogong.inventory.forms import (
    AdjustForm,
    FoundStockForm,
    IssueHeaderForm,
    IssueLines,
    LocationForm,
    QcForm,
    QuarantineForm,
    ReceiveHeaderForm,
    ReceiveLines,
    ReceiveTransferForm,
    ReleaseForm,
    StocktakeStartForm,
    TransferForm,
    stock_sites,
)
from baogong.inventory.locations import default_location
from baogong.inventory.models import Adjustment, Location, Lot, Reservation, StockBalance, Stocktake, Transfer
from baogong.orgs.models import Site

STOCK_KIND_CODES = sorted(str(k.value) for k in STOCK_KINDS)


# --- stock on hand ----------------------------------------------------------------------------
@require_perm("inventory.view_stockbalance")
def stock_list(request: HttpRequest) -> HttpResponse:
    filtered = queries.filter_balances(queries.balances_for(request.user), request.GET)
    if request.GET.get("format") == "xlsx":
        return _stock_workbook(queries.stock_on_hand(filtered))
    page = paginate_then_load(
        request,
        filtered.order_by(*queries.STOCK_ORDER),
        lambda pks: queries.stock_on_hand(StockBalance.objects.filter(pk__in=pks)),
    )
    context = {
        "page": page,
        "params": request.GET,
        "sites": stock_sites(request.user),
        "categories": Category.objects.filter(parent__isnull=True),
        "qc_statuses": QcStatus.choices,
        "bands": queries.expiry_alert_days(),
        "stock_kinds": STOCK_KIND_CODES,
    }
    return render_page_or_partial(request, "inventory/stock_list.html", "inventory/partials/_stock_table.html", context)


def _stock_workbook(balances: QuerySet[StockBalance]) -> HttpResponse:
    headers = [
        "仓库 Site",
        "库位 Location",
        "编码 Item",
        "名称 Name",
        "单位 Unit",
        "批号 Batch",
        "有效期 Expiry",
        "质检 QC",
        "在库 On hand",
        "预留 Reserved",
        "可用 Available",
        "单价 Unit cost",
        "金额 Value",
    ]
    rows = (
        [
            b.location.site.code if b.location.site else "",
            b.location.code,
            b.item.code,
            b.item.name,
            b.item.unit,
            b.lot.batch,
            b.lot.expiry,
            b.lot.get_qc_status_display(),
            b.on_hand,
            b.reserved,
            b.on_hand - b.reserved,
            b.lot.unit_cost,
            getattr(b, "value", None),
        ]
        for b in balances.iterator(chunk_size=2000)
    )
    response = HttpResponse(workbook_bytes("stock", headers, rows), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="stock-on-hand.xlsx"'
    return response


@require_perm("inventory.view_stockbalance")
def expiry_alerts(request: HttpRequest) -> HttpResponse:
    long, short = queries.expiry_alert_days()
    try:
        within = int(request.GET.get("within", long))
    except ValueError:
        within = long
    balances = queries.expiring(request.user, within=within)
    if request.GET.get("warehouse"):
        balances = queries.filter_balances(balances, {"warehouse": request.GET["warehouse"]})
    page = paginate(request, balances)
    return render(
        request,
        "inventory/expiry.html",
        {
            "page": page,
            "params": request.GET,
            "within": within,
            "long": long,
            "short": short,
            "stock_kinds": STOCK_KIND_CODES,
        },
    )


@require_perm("inventory.view_stockbalance")
def valuation(request: HttpRequest) -> HttpResponse:
    by = request.GET.get("by", "warehouse")
    if by not in ("warehouse", "category", "expiry"):
        by = "warehouse"
    qs = queries.filter_balances(queries.balances_for(request.user), request.GET)
    rows = queries.valuation(qs, by)
    total = sum((r["value"] for r in rows), 0)
    return render(
        request,
        "inventory/valuation.html",
        {"rows": rows, "by": by, "total": total, "qty": sum(r["qty"] for r in rows), "params": request.GET},
    )


# --- cards ------------------------------------------------------------------------------------
@require_perm("inventory.view_stockmove")
def item_card(request: HttpRequest, pk: int) -> HttpResponse:
    item = Item.objects.select_related("category").filter(pk=pk).first()
    if item is None:
        raise Http404
    balances = queries.stock_on_hand(queries.balances_for(request.user).filter(item=item))
    moves = queries.moves_for(request.user).filter(item=item).order_by("-at", "-id")
    page = paginate(request, moves, per_page=50)
    return render_page_or_partial(
        request,
        "inventory/item_card.html",
        "inventory/partials/_move_table.html",
        {"item": item, "balances": balances, "page": page, "params": request.GET},
    )


def _visible_lot(request: HttpRequest, pk: int) -> Lot:
    lot = Lot.objects.select_related("item").filter(pk=pk).first()
    if lot is None:
        raise Http404
    if not queries.moves_for(request.user).filter(lot=lot).exists():
        raise Http404
    return lot


@require_perm("inventory.view_lot")
def lot_card(request: HttpRequest, pk: int) -> HttpResponse:
    lot = _visible_lot(request, pk)
    context = {
        "lot": lot,
        "balances": queries.stock_on_hand(queries.balances_for(request.user).filter(lot=lot)),
        "moves": queries.moves_for(request.user).filter(lot=lot).order_by("at", "id")[:500],
        "destinations": queries.lot_destinations(lot),
        "qc_form": QcForm(initial={"status": lot.qc_status}),
        "quarantine_form": QuarantineForm(),
    }
    return render(request, "inventory/lot_card.html", context)


@require_POST
@require_perm("inventory.set_lot_qc_status")
def lot_set_qc(request: HttpRequest, pk: int) -> HttpResponse:
    lot = _visible_lot(request, pk)
    form = QcForm(request.POST)
    back = redirect("inventory:lot_card", pk=lot.pk)
    if not form.is_valid():
        return back
    data = form.cleaned_data
    return run_action(
        request,
        lambda: actions.set_lot_qc_status(lot, data["status"], reason=data["reason"], actor=request.user),
        done=_("QC status saved."),
        then=back,
    )


@require_POST
@require_perm("inventory.set_lot_qc_status")
def lot_quarantine(request: HttpRequest, pk: int) -> HttpResponse:
    lot = _visible_lot(request, pk)
    form = QuarantineForm(request.POST)
    back = redirect("inventory:lot_card", pk=lot.pk)
    if not form.is_valid():
        return back
    return run_action(
        request,
        lambda: actions.quarantine_lot_everywhere(lot, reason=form.cleaned_data["reason"], actor=request.user),
        done=lambda moves: _("Lot quarantined; %(n)d units moved to quarantine.") % {"n": sum(m.qty for m in moves)},
        then=back,
    )


@require_POST
@require_perm("inventory.add_stockmove")
def move_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    move = queries.moves_for(request.user).filter(pk=pk).first()
    if move is None:
        raise Http404
    return run_action(
        request,
        lambda: actions.reverse_move(move, actor=request.user, reason=request.POST.get("reason", "")),
        done=_("Move reversed."),
        then=redirect("inventory:lot_card", pk=move.lot_id),
    )


# --- receive / issue / transfer / adjust ------------------------------------------------------
def _site_location(site: Site, code: str) -> Location | None:
    return Location.objects.filter(site=site, code=code, kind__in=list(STOCK_KINDS)).first() if code else None


@require_perm("inventory.receive_stock")
def receive(request: HttpRequest) -> HttpResponse:
    header = ReceiveHeaderForm(request.POST or None, user=request.user)
    lines = ReceiveLines(request.POST or None, prefix="lines")
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        warehouse = header.cleaned_data["warehouse"]
        inputs, bad = [], False
        codes = [f.cleaned_data["item"] for f in lines if f.cleaned_data.get("item")]
        items = {i.code: i for i in Item.objects.filter(code__in=codes)}
        for form in lines:
            data = form.cleaned_data
            if not data:
                continue
            item = items.get(data["item"])
            location = _site_location(warehouse, data.get("location") or "")
            if item is None:
                form.add_error("item", _("Unknown item code."))
                bad = True
                continue
            if data.get("location") and location is None:
                form.add_error("location", _("Unknown location at this warehouse."))
                bad = True
                continue
            inputs.append(
                actions.ReceiptLineInput(
                    item=item,
                    batch=data.get("batch") or "",
                    qty=data["qty"],
                    unit_cost=data["unit_cost"] if data.get("unit_cost") is not None else _reference_price(item),
                    expiry=data.get("expiry"),
                    location=location,
                )
            )
        if not inputs and not bad:
            messages.error(request, _("Add at least one line."))
        elif not bad:
            try:
                receipt = actions.receive_stock(
                    warehouse,
                    inputs,
                    actor=request.user,
                    reference=header.cleaned_data["reference"],
                    qc_status=header.cleaned_data["qc_status"],
                    supplier_ref=header.cleaned_data["supplier"],
                    supplier_name=header.cleaned_data["supplier"],
                )
                messages.success(request, _("Receipt %(number)s posted.") % {"number": receipt.number})
                return redirect(f"{_url('inventory:stock_list')}?warehouse={warehouse.code}")
            except DomainError as exc:
                show_domain_error(header, exc)
    return render(
        request,
        "inventory/document_form.html",
        {
            "title": _("Receive stock"),
            "header": header,
            "lines": lines,
            "submit": _("Post receipt"),
            "help": _(
                "One line per batch. Type or pick the item code; give the batch and expiry printed on the case. "
                "Without a bin the stock goes to the main store: put it away from the stock list afterwards."
            ),
            **_datalists(request),
        },
    )


def _reference_price(item: Item) -> Decimal:
    return item.reference_price if item.reference_price is not None else Decimal(0)


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


@require_perm("inventory.issue_stock")
def issue(request: HttpRequest) -> HttpResponse:
    header = IssueHeaderForm(request.POST or None, user=request.user)
    lines = IssueLines(request.POST or None, prefix="lines")
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        warehouse = header.cleaned_data["warehouse"]
        recipient = Site.objects.filter(code=header.cleaned_data["recipient"]).first()
        inputs, bad = [], recipient is None
        if recipient is None:
            header.add_error("recipient", _("Unknown site code."))
        codes = [f.cleaned_data["item"] for f in lines if f.cleaned_data.get("item")]
        items = {i.code: i for i in Item.objects.filter(code__in=codes)}
        for form in lines:
            data = form.cleaned_data
            if not data:
                continue
            item = items.get(data["item"])
            if item is None:
                form.add_error("item", _("Unknown item code."))
                bad = True
                continue
            lot = Lot.objects.filter(item=item, batch=data["batch"]).first() if data.get("batch") else None
            if data.get("batch") and lot is None:
                form.add_error("batch", _("Unknown batch of this item."))
                bad = True
                continue
            inputs.append(actions.IssueLineInput(item=item, qty=data["qty"], lot=lot))
        if not inputs and not bad:
            messages.error(request, _("Add at least one line."))
        elif not bad and recipient is not None:
            try:
                done = actions.issue_stock(
                    warehouse, recipient, inputs, actor=request.user, reference=header.cleaned_data["reference"]
                )
                messages.success(request, _("Issue %(number)s posted.") % {"number": done.number})
                return redirect(f"{_url('inventory:stock_list')}?warehouse={warehouse.code}")
            except DomainError as exc:
                show_domain_error(header, exc)
    return render(
        request,
        "inventory/document_form.html",
        {
            "title": _("Issue stock"),
            "header": header,
            "lines": lines,
            "submit": _("Post issue"),
            "help": _(
                "Lots are picked earliest expiry first unless you name a batch. "
                "If any line is short, nothing is issued and the shortage is shown."
            ),
            **_datalists(request),
        },
    )


@require_perm("inventory.transfer_stock")
def transfer(request: HttpRequest) -> HttpResponse:
    initial = {k: request.GET[k] for k in ("item", "batch", "from_location", "qty") if request.GET.get(k)}
    if code := request.GET.get("warehouse"):
        initial["warehouse"] = stock_sites(request.user).filter(code=code).first()
    form = TransferForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        warehouse = data["warehouse"]
        lot = Lot.objects.filter(item__code=data["item"], batch=data["batch"]).select_related("item").first()
        source = _site_location(warehouse, data["from_location"])
        target = _site_location(warehouse, data.get("to_location") or "")
        destination = Site.objects.filter(code=data["destination"]).first() if data.get("destination") else None
        if lot is None:
            form.add_error("batch", _("Unknown batch of this item."))
        if source is None:
            form.add_error("from_location", _("Unknown location at this warehouse."))
        if data.get("to_location") and target is None:
            form.add_error("to_location", _("Unknown location at this warehouse."))
        if data.get("destination") and destination is None:
            form.add_error("destination", _("Unknown site code."))
        if not form.errors and lot is not None and source is not None:
            try:
                done = actions.transfer_stock(
                    warehouse,
                    [actions.TransferLineInput(lot=lot, from_location=source, to_location=target, qty=data["qty"])],
                    actor=request.user,
                    destination=destination,
                    reference=data["reference"],
                )
                messages.success(request, _("Transfer %(number)s posted.") % {"number": done.number})
                return redirect(f"{_url('inventory:stock_list')}?warehouse={warehouse.code}")
            except DomainError as exc:
                show_domain_error(form, exc)
    return render(
        request,
        "inventory/simple_form.html",
        {
            "title": _("Transfer or put away"),
            "form": form,
            "submit": _("Post transfer"),
            "help": _(
                "Put away: move from the main store (MAIN) to a bin of the same site. "
                "To another site: leave 'To bin' empty and give the site code; the stock is in transit "
                "until that site receives it on the Transfers page."
            ),
            **_datalists(request),
        },
    )


@require_perm("inventory.adjust_stock")
def adjust(request: HttpRequest, balance_pk: int) -> HttpResponse:
    balance = get_scoped_or_404(
        StockBalance.objects.select_related("lot", "item", "location", "location__site"), request.user, pk=balance_pk
    )
    form = AdjustForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert balance.location.site is not None
        try:
            done = actions.adjust_stock(
                balance.location.site,
                balance.lot,
                balance.location,
                form.cleaned_data["qty_change"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
            if done.status == AdjustmentStatus.PENDING:
                messages.warning(request, _("The adjustment is above the approval value and waits for approval."))
            else:
                messages.success(request, _("Adjustment posted."))
            return redirect("inventory:adjustment_list")
        except DomainError as exc:
            show_domain_error(form, exc)
    return render(
        request,
        "inventory/simple_form.html",
        {
            "title": _("Adjust stock"),
            "form": form,
            "balance": balance,
            "submit": _("Post adjustment"),
            "help": _(
                "Use + to add units and − to remove them. Above %(value)s yuan the adjustment waits for "
                "a manager's approval before the stock changes."
            )
            % {"value": actions.approval_threshold()},
        },
    )


@require_perm("inventory.view_adjustment")
def adjustment_list(request: HttpRequest) -> HttpResponse:
    qs = scoped(
        Adjustment.objects.select_related("warehouse", "item", "lot", "location", "location__site", "created_by"),
        request.user,
    ).order_by("-created_at", "-id")
    if status := request.GET.get("status"):
        qs = qs.filter(status=status)
    page = paginate(request, qs)
    return render(
        request,
        "inventory/adjustment_list.html",
        {"page": page, "params": request.GET, "statuses": AdjustmentStatus.choices},
    )


@require_POST
@require_perm("inventory.approve_adjustment")
def adjustment_decide(request: HttpRequest, pk: int) -> HttpResponse:
    adjustment = get_scoped_or_404(Adjustment.objects.all(), request.user, pk=pk)
    return run_action(
        request,
        lambda: actions.decide_adjustment(
            adjustment, approve=request.POST.get("decision") == "approve", actor=request.user
        ),
        done=_("Decision saved."),
        then=redirect("inventory:adjustment_list"),
    )


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
def stocktake_detail(request: HttpRequest, pk: int) -> HttpResponse:
    stocktake = _stocktake(request, pk)
    lines = stocktake.lines.select_related("location", "item", "lot")
    if request.method == "POST":
        if not request.user.has_perm("inventory.count_stock"):
            raise PermissionDenied
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


def _stocktake_page(request: HttpRequest, stocktake: Stocktake, found_form: FoundStockForm) -> HttpResponse:
    lines = stocktake.lines.select_related("location", "item", "lot")
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
        item = Item.objects.filter(code=data["found_item"].strip()).first()
        code = (data.get("found_location") or "").strip()
        location = _site_location(stocktake.warehouse, code) if code else default_location(stocktake.warehouse)
        if item is None:
            form.add_error("found_item", _("Unknown item code."))
        if location is None:
            form.add_error("found_location", _("Unknown location at this warehouse."))
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


# --- locations --------------------------------------------------------------------------------
@require_perm("inventory.view_location")
def location_list(request: HttpRequest) -> HttpResponse:
    form = LocationForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not request.user.has_perm("inventory.add_location"):
            raise PermissionDenied
        if form.is_valid():
            try:
                actions.create_location(
                    form.cleaned_data["warehouse"],
                    code=form.cleaned_data["code"],
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"],
                    actor=request.user,
                )
                messages.success(request, _("Location added."))
                return redirect("inventory:location_list")
            except DomainError as exc:
                show_domain_error(form, exc)
    qs = queries.locations_for(request.user)
    if site := request.GET.get("warehouse"):
        qs = qs.filter(Q(site__code=site))
    return render(
        request, "inventory/location_list.html", {"page": paginate(request, qs), "form": form, "params": request.GET}
    )


# --- code pickers -----------------------------------------------------------------------------
def _datalists(request: HttpRequest, site: Site | None = None) -> dict[str, Any]:
    """Known item codes, bins and sites, offered as ``<datalist>`` suggestions on the code fields."""
    bins = queries.locations_for(request.user)
    if site is not None:
        bins = bins.filter(site=site)
    return {
        "dl_items": Item.objects.filter(is_active=True).order_by("code").values_list("code", "name", "unit")[:1000],
        "dl_bins": bins.values_list("code", "name", "site__code")[:1000],
        "dl_sites": Site.objects.filter(is_active=True).order_by("code").values_list("code", "name")[:1000],
    }


# --- transfers between sites ------------------------------------------------------------------
def _transfers_for(request: HttpRequest) -> QuerySet[Transfer]:
    """Transfers sent from, or on their way to, a site the user may see."""
    qs = Transfer.objects.select_related("warehouse", "destination", "created_by")
    scope = user_scope(request.user)
    if scope.is_global:
        return qs
    q = Q(pk__in=[])
    for end in ("warehouse", "destination"):
        q |= Q(**{f"{end}__organisation_id__in": scope.organisation_ids}) | Q(**{f"{end}_id__in": scope.site_ids})
    return qs.filter(q)


def _may_receive(request: HttpRequest, transfer: Transfer) -> bool:
    return user_scope(request.user).allows(
        organisation_id=transfer.destination.organisation_id, site_id=transfer.destination_id
    )


@require_perm("inventory.view_transfer")
def transfer_list(request: HttpRequest) -> HttpResponse:
    qs = _transfers_for(request).order_by("-created_at", "-id")
    if status := request.GET.get("status"):
        qs = qs.filter(status=status)
    page = paginate(request, qs)
    for transfer in page:
        transfer.can_receive = transfer.status == TransferStatus.IN_TRANSIT and _may_receive(request, transfer)
    return render(
        request,
        "inventory/transfer_list.html",
        {"page": page, "params": request.GET, "statuses": TransferStatus.choices},
    )


@require_perm("inventory.transfer_stock")
def transfer_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """Book an inter-site transfer in at its destination (optionally straight into a bin)."""
    transfer = _transfers_for(request).filter(pk=pk).first()
    if transfer is None or not _may_receive(request, transfer):
        raise Http404
    form = ReceiveTransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = (form.cleaned_data.get("location") or "").strip()
        location = _site_location(transfer.destination, code) if code else None
        if code and location is None:
            form.add_error("location", _("Unknown location at this warehouse."))
        else:
            try:
                actions.receive_transfer(transfer, actor=request.user, location=location)
                messages.success(request, _("Transfer %(number)s received.") % {"number": transfer.number})
                return redirect("inventory:transfer_list")
            except DomainError as exc:
                show_domain_error(form, exc)
    return render(
        request,
        "inventory/transfer_receive.html",
        {
            "title": _("Receive transfer %(number)s") % {"number": transfer.number},
            "transfer": transfer,
            "lines": transfer.lines.select_related("item", "lot", "from_location"),
            "form": form,
            **_datalists(request, transfer.destination),
        },
    )


# --- reservations -----------------------------------------------------------------------------
@require_perm("inventory.view_reservation")
def reservation_list(request: HttpRequest) -> HttpResponse:
    qs = scoped(
        Reservation.objects.select_related("item", "lot", "location", "location__site", "created_by"), request.user
    ).order_by("-created_at", "-id")
    status = request.GET.get("status", ReservationStatus.ACTIVE)
    if status in ReservationStatus.values:
        qs = qs.filter(status=status)
    if warehouse := request.GET.get("warehouse"):
        qs = qs.filter(location__site__code=warehouse)
    if item := (request.GET.get("item") or "").strip():
        qs = qs.filter(Q(item__code__iexact=item) | Q(item__name__icontains=item))
    if reference := (request.GET.get("reference") or "").strip():
        qs = qs.filter(reference__icontains=reference)
    page = paginate(request, qs)
    return render_page_or_partial(
        request,
        "inventory/reservation_list.html",
        "inventory/partials/_reservation_table.html",
        {
            "page": page,
            "params": request.GET,
            "status": status,
            "statuses": ReservationStatus.choices,
            "sites": stock_sites(request.user),
        },
    )


@require_perm("inventory.change_reservation")
def reservation_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Give back all or some of a reservation's open units (the release_reservation action, audited)."""
    reservation = get_scoped_or_404(
        Reservation.objects.select_related("item", "lot", "location", "location__site"), request.user, pk=pk
    )
    if reservation.status != ReservationStatus.ACTIVE:
        messages.error(request, _("The reservation is not active."))
        return redirect("inventory:reservation_list")
    form = ReleaseForm(request.POST or None, initial={"qty": reservation.qty})
    if request.method == "POST" and form.is_valid():
        try:
            actions.release_reservation(reservation, actor=request.user, qty=form.cleaned_data["qty"])
            messages.success(
                request,
                _("Released %(qty)d units of %(reference)s.")
                % {"qty": form.cleaned_data["qty"], "reference": reservation.reference},
            )
            return redirect("inventory:reservation_list")
        except DomainError as exc:
            show_domain_error(form, exc)
    return render(
        request,
        "inventory/reservation_release.html",
        {"title": _("Release reservation"), "reservation": reservation, "form": form},
    )
