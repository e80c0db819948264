"""Stock on hand, expiry, valuation, item and lot cards, QC, locations and reservations pages."""

from __future__ import annotations

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
from baogong.core.permissions import require_perm
from baogong.core.scoping import get_scoped_or_404, scoped
from baogong.inventory import actions, queries
from baogong.inventory.choices import QcStatus, ReservationStatus
from baogong.inventory.forms import LocationForm, QcForm, QuarantineForm, ReleaseForm, stock_sites
from baogong.inventory.models import Lot, Reservation, StockBalance
from baogong.inventory.views.common import STOCK_KIND_CODES


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
