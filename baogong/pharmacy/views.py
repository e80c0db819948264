"""Pharmacy pages: the residents' phone page (no login) and the staff's queue, review and delivery.

Each view parses, checks permission, calls one action and renders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baogong.core import field, idempotency, ratelimit
from baogong.core.actionviews import run_action
from baogong.core.audit import history_for
from baogong.core.dates import parse_date_or_none
from baogong.core.dbrouter import read_from_replica
from baogong.core.errors import DomainError
from baogong.core.excel import XLSX_CONTENT_TYPE, workbook_bytes
from baogong.core.forms import show_domain_error
from baogong.core.htmx import paginate, render_page_or_partial
from baogong.core.imports import import_page
from baogong.core.permissions import require_perm
from baogong.core.ratelimit import rate_limited
from baogong.core.scoping import get_scoped_or_404, scoped
from baogong.inventory import trace_queries
from baogong.orgs.models import AdministrativeArea
from baogong.pharmacy import actions, queries, views_courier
from baogong.pharmacy.actions import OrderInput, PrescriptionCheck
from baogong.pharmacy.choices import RX_WARNING, OrderChannel, OrderStatus
from baogong.pharmacy.filters import OrderFilter
from baogong.pharmacy.forms import (
    AreaForm,
    CheckoutForm,
    DispatchForm,
    HandoverForm,
    ImportForm,
    PhoneOrderForm,
    ReasonForm,
    ReviewForm,
    SettleForm,
)
from baogong.pharmacy.models import Drug, Order, Prescription

BASKET = "pharmacy_basket"
AREA = "pharmacy_area"


# --- residents (no login) ---------------------------------------------------------------------
def _basket(request: HttpRequest) -> dict[str, int]:
    raw = request.session.get(BASKET, {})
    return {str(k): int(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _basket_lines(request: HttpRequest) -> list[tuple[Drug, int]]:
    basket = _basket(request)
    drugs = Drug.objects.filter(pk__in=[int(k) for k in basket]).select_related("item")
    return [(d, basket[str(d.pk)]) for d in drugs]


def _area(request: HttpRequest) -> AdministrativeArea | None:
    area_id = request.GET.get("area") or request.session.get(AREA)
    if not area_id:
        return None
    area = AdministrativeArea.objects.filter(pk=area_id, level__in=["street", "town"]).first()
    if area is not None:
        request.session[AREA] = area.pk
    return area


@rate_limited("public")
def order_start(request: HttpRequest) -> HttpResponse:
    """Search drugs and see which pharmacy nearby has them; put them in the basket."""
    area = _area(request)
    form = AreaForm(request.GET or None, initial={"area": area})
    text = request.GET.get("q", "").strip()
    results: list[dict[str, Any]] = []
    if text:
        for drug in queries.search_drugs(text)[:20]:
            nearby = (
                queries.nearby_stock(drug, float(area.lat), float(area.lon), limit=3)
                if area is not None and area.lat is not None and area.lon is not None
                else []
            )
            results.append({"drug": drug, "nearby": nearby})
    lines = _basket_lines(request)
    context = {
        "form": form,
        "area": area,
        "q": text,
        "results": results,
        "basket": lines,
        "basket_total": sum((d.unit_price * q for d, q in lines), Decimal("0.00")),
        "rx_warning": RX_WARNING,
    }
    return render_page_or_partial(
        request, "pharmacy/order_start.html", "pharmacy/partials/_search_results.html", context
    )


@rate_limited("public")
@require_POST
def basket_update(request: HttpRequest) -> HttpResponse:
    basket = _basket(request)
    drug = Drug.objects.filter(pk=request.POST.get("drug") or 0, is_active=True).first()
    try:
        qty = int(request.POST.get("qty", "1"))
    except ValueError:
        qty = 1
    if drug is not None:
        if drug.is_banned_online:
            messages.error(
                request, _("%(drug)s may not be sold online: %(reason)s") % {"drug": drug, "reason": drug.ban_reason}
            )
        elif qty <= 0:
            basket.pop(str(drug.pk), None)
        else:
            basket[str(drug.pk)] = min(qty, 100)
    request.session[BASKET] = basket
    back = request.POST.get("next") or reverse("pharmacy:order_start")
    return redirect(back if back.startswith("/pharmacy/") else reverse("pharmacy:order_start"))


def _order_input(form: CheckoutForm, lines: list[tuple[Drug, int]], channel: str) -> OrderInput:
    data = form.cleaned_data
    return OrderInput(
        lines=lines,
        resident_name=data["resident_name"],
        phone=data["phone"],
        area=data["area"],
        compound=data["compound"],
        building=data["building"],
        room=data["room"],
        insurance_card=data.get("insurance_card") or "",
        rx_warning_accepted=bool(data.get("rx_warning_accepted")),
        prescription_photo=data.get("prescription_photo"),
        channel=channel,
    )


CHECKOUT_SCOPE = "pharmacy:web-checkout"


def _checkout_token(request: HttpRequest) -> str:
    token = (request.POST.get("client_token") or "").strip()
    return token if 16 <= len(token) <= 64 else ""


def _earlier_checkout(request: HttpRequest, token: str) -> HttpResponse | None:
    """The answer to a submission already made with this form token (a retry on a flaky network,
    a double tap): the orders it placed, never a second order."""
    record = idempotency.earlier_claim(CHECKOUT_SCOPE, token, attempts=30, pause=0.2)
    if record is None:
        return None
    request.session[BASKET] = {}
    if record.status_code is None:
        messages.info(request, _("Your order is still being placed. Check this page again in a moment."))
        return redirect("pharmacy:order_placed")
    request.session["pharmacy_orders"] = json.loads(bytes(record.response_body or b"[]").decode())
    return redirect("pharmacy:order_placed")


@rate_limited("public")
def checkout(request: HttpRequest) -> HttpResponse:
    token = _checkout_token(request) if request.method == "POST" else ""
    if token:
        earlier = _earlier_checkout(request, token)
        if earlier is not None:
            return earlier
    lines = _basket_lines(request)
    if not lines:
        messages.info(request, _("Your basket is empty."))
        return redirect("pharmacy:order_start")
    initial = {"area": request.session.get(AREA)}
    form = CheckoutForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        claim = None
        if token:
            body_hash = hashlib.sha256(token.encode()).hexdigest()
            claim = idempotency.claim_key(CHECKOUT_SCOPE, token, method="POST", path=request.path, body_hash=body_hash)
            if claim is None:  # the same submission is being placed right now
                return _earlier_checkout(request, token) or redirect("pharmacy:order_placed")
        try:
            orders = actions.place_order(_order_input(form, lines, OrderChannel.ONLINE), actor=None)
        except DomainError as exc:
            if claim is not None:
                idempotency.release_claim(claim)  # nothing placed: the form may be fixed
            show_domain_error(form, exc)
        except BaseException:
            if claim is not None:
                idempotency.release_claim(claim)
            raise
        else:
            pairs = [(o.number, o.access_code) for o in orders]
            if claim is not None:
                idempotency.store_answer(
                    claim,
                    status_code=302,
                    content_type="application/json",
                    body=json.dumps(pairs).encode(),
                    headers={"Location": reverse("pharmacy:order_placed")},
                )
            request.session[BASKET] = {}
            request.session["pharmacy_orders"] = pairs
            return redirect("pharmacy:order_placed")
    needs_rx = any(d.is_rx for d, _q in lines)
    context = {
        "form": form,
        "basket": lines,
        "needs_rx": needs_rx,
        "rx_warning": RX_WARNING,
        "client_token": token or secrets.token_urlsafe(16),
    }
    return render(request, "pharmacy/checkout.html", context, status=400 if form.errors else 200)


@rate_limited("public")
def order_placed(request: HttpRequest) -> HttpResponse:
    pairs = request.session.get("pharmacy_orders") or []
    orders = []
    for number, code in pairs:
        order = Order.objects.filter(number=number, access_code=code).select_related("pharmacy").first()
        if order is not None:
            orders.append(order)
    return render(request, "pharmacy/order_placed.html", {"orders": orders})


@rate_limited("order_lookup")
def order_status(request: HttpRequest, number: str) -> HttpResponse:
    """The resident's status page: by link and access code. Wrong codes for one order number
    are limited from any address together, so the six digits cannot be guessed."""
    code = (request.GET.get("code") or request.POST.get("code") or "").strip()
    if code and (wait := ratelimit.exhausted("order_code_failures", number)) is not None:
        return ratelimit.too_many_requests(request, wait)
    order = Order.objects.filter(number=number).select_related("pharmacy", "area").first()
    if order is None or not code or not secrets.compare_digest(code, order.access_code):
        if code:
            ratelimit.hit("order_code_failures", number)
            messages.error(request, _("No order with this number and code."))
        return render(request, "pharmacy/order_status_code.html", {"number": number}, status=404 if code else 200)
    context = {"order": order, "lines": order.lines.select_related("drug__item"), "code": code}
    return render(request, "pharmacy/order_status.html", context)


# --- staff ------------------------------------------------------------------------------------
@require_perm("pharmacy.take_phone_order")
def phone_order(request: HttpRequest) -> HttpResponse:
    """Staff take an order by phone for a resident who cannot use the page."""
    form = PhoneOrderForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        lines, problems = _parse_lines(form.cleaned_data["lines"])
        if problems:
            for problem in problems:
                form.add_error("lines", problem)
        else:
            try:
                orders = actions.place_order(_order_input(form, lines, OrderChannel.PHONE), actor=request.user)
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                for o in orders:
                    messages.success(
                        request,
                        _("Order %(number)s placed at %(pharmacy)s; status code %(code)s.")
                        % {"number": o.number, "pharmacy": o.pharmacy.name, "code": o.access_code},
                    )
                visible = scoped(Order.objects.filter(pk__in=[o.pk for o in orders]), request.user).first()
                return redirect("pharmacy:order_detail", pk=visible.pk) if visible else redirect("pharmacy:phone_order")
    drugs = queries.search_drugs("")[:200]
    return render(
        request, "pharmacy/phone_order.html", {"form": form, "drugs": drugs}, status=400 if form.errors else 200
    )


def _parse_lines(text: str) -> tuple[list[tuple[Drug, int]], list[str]]:
    lines: list[tuple[Drug, int]] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        code, qty_text = parts[0], parts[1] if len(parts) > 1 else "1"
        drug = Drug.objects.filter(item__code__iexact=code).select_related("item").first()
        if drug is None:
            problems.append(_("Line %(n)d: no drug with code %(code)s.") % {"n": number, "code": code})
            continue
        if not qty_text.isdigit() or int(qty_text) <= 0:
            problems.append(_("Line %(n)d: the quantity must be a whole number above zero.") % {"n": number})
            continue
        lines.append((drug, int(qty_text)))
    if not lines and not problems:
        problems.append(_("Add at least one drug."))
    return lines, problems


@require_perm("pharmacy.view_order")
def order_list(request: HttpRequest) -> HttpResponse:
    orders = OrderFilter(request.GET, queryset=queries.orders_for(request.user)).qs
    page = paginate(request, orders)
    context = {
        "page": page,
        "params": request.GET,
        "statuses": OrderStatus.choices,
        "pharmacies": scoped(queries.pharmacies(), request.user),
    }
    return render_page_or_partial(request, "pharmacy/order_list.html", "pharmacy/partials/_order_table.html", context)


def _order(request: HttpRequest, pk: int) -> Order:
    return get_scoped_or_404(Order.objects.select_related("pharmacy", "area", "courier"), request.user, pk=pk)


def _courier_order(request: HttpRequest, pk: int) -> Order:
    """An order the user may deliver: in their scope, or handed to them as its courier."""
    order = (
        scoped(Order.objects.filter(pk=pk), request.user).first()
        or Order.objects.filter(pk=pk, courier_id=request.user.pk).first()
    )
    if order is None:
        raise Http404
    return order


def _back(request: HttpRequest, order: Order) -> HttpResponse:
    if request.POST.get("next") == "mine":
        return redirect("pharmacy:my_deliveries")
    return redirect("pharmacy:order_detail", pk=order.pk)


@require_perm("pharmacy.view_order")
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    settlement = getattr(order, "settlement", None) if hasattr(order, "settlement") else None
    context = {
        "order": order,
        "lines": order.lines.select_related("drug__item"),
        "prescriptions": order.prescriptions.all(),
        "settlement": settlement,
        "review_form": ReviewForm(initial={"patient_name": order.resident_name, "issued_on": timezone.localdate()}),
        "reason_form": ReasonForm(),
        "settle_form": SettleForm(initial={"method": "insurance" if order.insurance_card_masked else "self_pay"}),
        "dispatch_form": DispatchForm(),
        "handover_form": HandoverForm(),
        "trace_codes": trace_queries.dispensed_codes(order.number, order.pk),
        "history": history_for(order)[:50],
    }
    return render(request, "pharmacy/order_detail.html", context)


@require_POST
@require_perm("pharmacy.review_order")
def order_approve(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    form = ReviewForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    check = None
    if order.needs_prescription:
        check = PrescriptionCheck(
            number=data.get("number") or "",
            issuer=data.get("issuer") or "",
            patient_name=data.get("patient_name") or "",
            issued_on=data.get("issued_on"),
            supply_days=data.get("supply_days") or 0,
            is_long_term=bool(data.get("is_long_term")),
        )
    return run_action(
        request,
        lambda: actions.approve_order(order, check=check, actor=request.user),
        done=_("Order approved and picked."),
        then=redirect("pharmacy:order_detail", pk=order.pk),
    )


@require_POST
@require_perm("pharmacy.review_order")
def order_reject(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    return run_action(
        request,
        lambda: actions.reject_order(order, request.POST.get("reason", ""), actor=request.user),
        done=_("Order rejected."),
        then=redirect("pharmacy:order_detail", pk=order.pk),
    )


@require_POST
@require_perm("pharmacy.review_order")
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    return run_action(
        request,
        lambda: actions.cancel_order(order, request.POST.get("reason", ""), actor=request.user),
        done=_("Order cancelled."),
        then=redirect("pharmacy:order_detail", pk=order.pk),
    )


@require_POST
@require_perm("pharmacy.settle_order")
def order_settle(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    form = SettleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Some fields are not valid."))
        return redirect("pharmacy:order_detail", pk=order.pk)
    data = form.cleaned_data
    return run_action(
        request,
        lambda: actions.settle_order(
            order,
            method=data["method"],
            transaction_number=data.get("transaction_number") or "",
            current_year=data.get("current_year") or Decimal("0"),
            prior_years=data.get("prior_years") or Decimal("0"),
            actor=request.user,
        ),
        done=_("Settlement recorded."),
        then=redirect("pharmacy:order_detail", pk=order.pk),
    )


@require_POST
@require_perm("pharmacy.deliver_order")
def order_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    form = DispatchForm(request.POST)
    courier = form.cleaned_data["courier"] if form.is_valid() else None
    return run_action(
        request,
        lambda: actions.dispatch_order(order, courier, actor=request.user),
        done=_("Order handed to the courier."),
        then=redirect("pharmacy:order_detail", pk=order.pk),
    )


@require_POST
@require_perm("pharmacy.deliver_order")
def order_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    if field.is_queued(request):
        return views_courier.queued_handover(
            request,
            pk,
            lambda order, based_on: actions.confirm_delivery(
                order, request.POST.get("code", ""), actor=request.user, based_on=based_on
            ),
            {"code": _("Hand-over code from the resident")},
        )
    order = _courier_order(request, pk)
    return run_action(
        request,
        lambda: actions.confirm_delivery(order, request.POST.get("code", ""), actor=request.user),
        done=_("Delivered."),
        then=_back(request, order),
    )


@require_POST
@require_perm("pharmacy.deliver_order")
def order_fail(request: HttpRequest, pk: int) -> HttpResponse:
    if field.is_queued(request):
        return views_courier.queued_handover(
            request,
            pk,
            lambda order, based_on: actions.record_delivery_failure(
                order, request.POST.get("reason", ""), actor=request.user, based_on=based_on
            ),
            {"reason": _("Reason")},
        )
    order = _courier_order(request, pk)
    return run_action(
        request,
        lambda: actions.record_delivery_failure(order, request.POST.get("reason", ""), actor=request.user),
        done=_("Delivery failure recorded; the drugs are back in stock."),
        then=_back(request, order),
    )


@require_perm("pharmacy.view_order")
def prescription_photo(request: HttpRequest, pk: int) -> HttpResponse:
    prescription = get_scoped_or_404(Prescription.objects.select_related("order"), request.user, pk=pk)
    if not prescription.photo:
        raise Http404
    content_type = "image/png" if prescription.photo.name.endswith(".png") else "image/jpeg"
    with prescription.photo.open("rb") as handle:
        return HttpResponse(handle.read(), content_type=content_type)


# --- reports and reconciliation ----------------------------------------------------------------
def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    start = parse_date_or_none(request.GET.get("from", "") or "") or today - dt.timedelta(days=6)
    end = parse_date_or_none(request.GET.get("to", "") or "") or today
    return (start, end) if start <= end else (end, start)


@require_perm("pharmacy.view_order")
def reports(request: HttpRequest) -> HttpResponse:
    start, end = _period(request)
    if request.GET.get("format") == "shortages":
        rows = [[r["item"], r["drug"], r["qty"], r["asks"]] for r in queries.shortage_list(start, end)]
        body = workbook_bytes(
            "shortages", ["物资编码 Item", "药品 Drug", "需求数量 Quantity", "需求次数 Requests"], rows
        )
        response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="pharmacy-shortages-{start}-{end}.xlsx"'
        return response
    visible = list(scoped(queries.pharmacies(), request.user).values_list("pk", flat=True))
    context = {
        "start": start,
        "end": end,
        "per_day": queries.orders_per_day(request.user, start, end),
        "fill": queries.fill_hours(request.user, start, end),
        "payers": queries.amounts_by_payer(start, end, site_ids=visible),
        "shortages": queries.shortage_list(start, end),
    }
    return render(request, "pharmacy/reports.html", context)


RECONCILIATION_HEADERS = [
    "订单号 Order",
    "日期 Date",
    "方式 Method",
    "医保交易号 Insurance transaction",
    "总额 Total",
    "纳入 Eligible",
    "当年账户 Current year",
    "历年账户 Prior years",
    "统筹 Pooled",
    "自付 Self-paid",
    "状态 Status",
]


@require_perm("pharmacy.view_settlement")
@read_from_replica
def reconciliation(request: HttpRequest) -> HttpResponse:
    """The day's settlements of one pharmacy as an Excel workbook, with totals."""
    pharmacy = get_scoped_or_404(queries.pharmacies(), request.user, code=request.GET.get("pharmacy", ""))
    day = parse_date_or_none(request.GET.get("date", "") or "") or timezone.localdate()
    settlements = queries.reconciliation(pharmacy, day)
    rows: list[list[Any]] = [
        [
            s.order.number,
            s.settled_on,
            s.get_method_display(),
            s.transaction_number,
            s.total,
            s.eligible,
            s.personal_current,
            s.personal_prior,
            s.pooled,
            s.self_pay,
            s.get_status_display(),
        ]
        for s in settlements
    ]
    settled = [s for s in settlements if s.status == "settled"]
    fields = ("total", "eligible", "personal_current", "personal_prior", "pooled", "self_pay")
    totals = [sum((getattr(s, f) for s in settled), Decimal("0.00")) for f in fields]
    rows.append(["合计 Total (settled)", day, "", "", *totals, ""])
    body = workbook_bytes(
        f"{pharmacy.code} {day}",
        RECONCILIATION_HEADERS,
        rows,
        notes=[f"{pharmacy.name} {day}", _("Refunded settlements are listed but not counted in the total.")],
    )
    response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="reconciliation-{pharmacy.code}-{day}.xlsx"'
    return response


@require_perm("pharmacy.settle_order")
def settlement_import(request: HttpRequest) -> HttpResponse:
    return import_page(
        request,
        run=lambda upload: actions.import_settlements(upload, actor=request.user),
        done=lambda count: _("%(n)d settlements imported.") % {"n": count},
        then="pharmacy:order_list",
        title=_("Import the insurer's settlement file"),
        intro=_(
            "Columns: order number, insurance transaction number, current-year account, prior-years account, "
            "pooled fund. All rows are imported or none."
        ),
        form_class=ImportForm,
        columns=actions.SETTLEMENT_COLUMNS,
    )
