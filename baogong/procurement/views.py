"""Procurement pages. Each view parses, checks permission, calls one action, renders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from baogong.core import audit
from baogong.core.actionviews import form_page, run_action, run_form
from baogong.core.audit import history_for
from baogong.core.errors import DomainError
from baogong.core.excel import XLSX_CONTENT_TYPE, workbook_bytes
from baogong.core.forms import show_domain_error
from baogong.core.htmx import paginate, render_page_or_partial
from baogong.core.pdf import pdf_response
from baogong.core.permissions import require_perm
from baogong.core.scoping import get_scoped_or_404, scoped
from baogong.inventory.models import Lot
from baogong.orgs.models import Site
from baogong.procurement import actions, queries
from baogong.procurement.choices import OrderStatus, SupplierStatus
from baogong.procurement.forms import (
    InspectionForm,
    LicenceFormSet,
    OrderForm,
    OrderLineFormSet,
    ReasonForm,
    ReceiveFormSet,
    StatusForm,
    SupplierForm,
)
from baogong.procurement.models import BlacklistEntry, CounterfeitCase, PurchaseReceipt, Supplier


# --- suppliers --------------------------------------------------------------------------------
@require_perm("procurement.view_supplier")
def supplier_list(request: HttpRequest) -> HttpResponse:
    suppliers = queries.filter_suppliers(queries.suppliers_for(request.user), request.GET)
    context = {
        "page": paginate(request, suppliers),
        "params": request.GET,
        "statuses": SupplierStatus.choices,
        "expiring": queries.expiring_licences(request.user)[:20],
    }
    return render_page_or_partial(
        request, "procurement/supplier_list.html", "procurement/partials/_supplier_table.html", context
    )


@require_perm("procurement.add_supplier")
def supplier_create(request: HttpRequest) -> HttpResponse:
    form = SupplierForm(request.POST or None, user=request.user)
    if answer := run_form(
        request,
        form,
        lambda: actions.register_supplier(form.cleaned_data, actor=request.user),
        done=_("Supplier registered for review."),
        then=lambda supplier: _registered(request, supplier),
    ):
        return answer
    return form_page(request, "procurement/supplier_form.html", {"form": form}, form)


def _registered(request: HttpRequest, supplier: Supplier) -> HttpResponse:
    for warning in supplier.uscc_warnings:
        messages.warning(request, warning)
    return redirect("procurement:supplier_detail", pk=supplier.pk)


@require_perm("procurement.view_supplier")
def supplier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = get_scoped_or_404(queries.suppliers_for(request.user), request.user, pk=pk)
    context = {
        "supplier": supplier,
        "licences": supplier.licences.all(),
        "licence_forms": LicenceFormSet(prefix="licence"),
        "status_form": StatusForm(),
        "problems": actions.licence_problems(supplier, list(supplier.categories)),
        "blacklisted": actions.is_blacklisted(supplier.uscc),
        "card": queries.scorecards(Supplier.objects.filter(pk=supplier.pk))[0],
        "orders": queries.orders_for(request.user).filter(supplier=supplier)[:20],
        "history": history_for(supplier)[:50],
    }
    return render(request, "procurement/supplier_detail.html", context)


@require_POST
@require_perm("procurement.add_supplierlicence")
def supplier_add_licence(request: HttpRequest, pk: int) -> HttpResponse:
    """One or several licences, each with its scanned document, all added or none."""
    supplier = get_scoped_or_404(Supplier.objects.all(), request.user, pk=pk)
    formset = LicenceFormSet(request.POST, request.FILES, prefix="licence")
    if formset.is_valid():
        entries = formset.entries()
        try:
            actions.add_licences(supplier, entries, actor=request.user)
        except DomainError as exc:
            show_domain_error(request, exc)
        else:
            n = len(entries)
            messages.success(request, ngettext("%(n)d licence added.", "%(n)d licences added.", n) % {"n": n})
    else:
        for n, form in enumerate(formset.forms, 1):
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                messages.error(request, f"{n} {label}：{'；'.join(map(str, errors))}")
        for error in formset.non_form_errors():
            messages.error(request, str(error))
    return redirect("procurement:supplier_detail", pk=supplier.pk)


@require_POST
@require_perm("procurement.review_supplier")
def supplier_set_status(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = get_scoped_or_404(Supplier.objects.all(), request.user, pk=pk)
    form = StatusForm(request.POST)
    back = redirect("procurement:supplier_detail", pk=supplier.pk)
    if not form.is_valid():
        return back
    reason = form.cleaned_data["reason"]
    decide = {"approve": actions.approve_supplier, "suspend": actions.suspend_supplier}.get(
        form.cleaned_data["action"], actions.blacklist_supplier
    )
    return run_action(
        request, lambda: decide(supplier, reason=reason, actor=request.user), done=_("Status changed."), then=back
    )


@require_perm("procurement.view_blacklistentry")
def blacklist(request: HttpRequest) -> HttpResponse:
    entries = BlacklistEntry.objects.select_related("decided_by", "organisation")
    return render(request, "procurement/blacklist.html", {"page": paginate(request, entries), "params": request.GET})


@require_perm("procurement.view_supplier")
def scorecard(request: HttpRequest) -> HttpResponse:
    cards = queries.scorecards(queries.suppliers_for(request.user).order_by("name"))
    return render(request, "procurement/scorecard.html", {"cards": cards})


# --- orders -----------------------------------------------------------------------------------
@require_perm("procurement.view_purchaseorder")
def order_list(request: HttpRequest) -> HttpResponse:
    orders = queries.filter_orders(queries.orders_for(request.user), request.GET)
    context = {"page": paginate(request, orders), "params": request.GET, "statuses": OrderStatus.choices}
    return render_page_or_partial(
        request, "procurement/order_list.html", "procurement/partials/_order_table.html", context
    )


@require_perm("procurement.add_purchaseorder")
def order_create(request: HttpRequest) -> HttpResponse:
    form = OrderForm(request.POST or None, user=request.user)
    formset = OrderLineFormSet(request.POST or None, form_kwargs={"user": request.user}, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        supplier = form.cleaned_data["supplier"]
        lines = [
            actions.OrderLineInput(**f.cleaned_data)
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            order = actions.create_order(
                supplier.organisation, supplier, lines, actor=request.user, notes=form.cleaned_data["notes"]
            )
        except DomainError as exc:
            show_domain_error(form, exc)
            details = exc.details if isinstance(exc.details, dict) else {}
            for key, errors in details.items():
                if key.startswith("lines[") and isinstance(errors, dict):
                    index = int(key[6:-1])
                    for field, texts in errors.items():
                        formset.forms[index].add_error(field if field in formset.forms[index].fields else None, texts)
        else:
            messages.success(request, _("Requisition %(number)s created.") % {"number": order.number})
            return redirect("procurement:order_detail", pk=order.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "procurement/order_form.html", {"form": form, "formset": formset}, status=status)


@require_perm("procurement.view_purchaseorder")
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_scoped_or_404(queries.orders_for(request.user), request.user, pk=pk)
    lines = list(order.lines.select_related("item", "warehouse"))
    receive_formset = ReceiveFormSet(
        initial=[{"line": ln.pk, "qty": ln.open_qty} for ln in lines if ln.open_qty], prefix="rc"
    )
    context = {
        "order": order,
        "lines": lines,
        "approvals": order.approvals.select_related("approver"),
        "receipts": order.receipts.select_related("lot", "line__item", "received_by"),
        "levels": actions.required_levels(order),
        "reason_form": ReasonForm(),
        "receive_formset": receive_formset,
        "receive_rows": list(zip(receive_formset.forms, [ln for ln in lines if ln.open_qty], strict=True)),
        "can_receive": order.status in {OrderStatus.APPROVED, OrderStatus.PARTIALLY_RECEIVED},
        "history": history_for(order)[:50],
    }
    return render(request, "procurement/order_detail.html", context)


ORDER_STEPS = {
    "submit": "procurement.add_purchaseorder",
    "emergency": "procurement.add_purchaseorder",
    "approve": "procurement.approve_purchaseorder",
    "reject": "procurement.approve_purchaseorder",
    "review": "procurement.review_emergency_order",
    "cancel": "procurement.change_purchaseorder",
}


@require_POST
@require_perm("procurement.view_purchaseorder")
def order_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    order = get_scoped_or_404(queries.orders_for(request.user), request.user, pk=pk)
    if step not in ORDER_STEPS or not request.user.has_perm(ORDER_STEPS[step]):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    reason, actor = request.POST.get("reason", ""), request.user
    steps: dict[str, Callable[[], Any]] = {
        "submit": lambda: actions.submit_order(order, actor=actor),
        "emergency": lambda: actions.submit_order(order, actor=actor, emergency=True, emergency_reason=reason),
        "approve": lambda: actions.approve_order(order, actor=actor, comment=reason),
        "reject": lambda: actions.reject_order(order, reason=reason, actor=actor),
        "review": lambda: actions.review_emergency_order(order, note=reason, actor=actor),
        "cancel": lambda: actions.cancel_order(order, reason=reason, actor=actor),
    }
    return run_action(request, steps[step], done=_("Done."), then=redirect("procurement:order_detail", pk=order.pk))


@require_POST
@require_perm("procurement.add_purchasereceipt")
def order_receive(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_scoped_or_404(queries.orders_for(request.user), request.user, pk=pk)
    formset = ReceiveFormSet(request.POST, prefix="rc")
    if not formset.is_valid():
        messages.error(request, _("Some fields are not valid."))
        return redirect("procurement:order_detail", pk=order.pk)
    lines_by_id = {ln.pk: ln for ln in order.lines.all()}
    entries = [
        actions.ReceiveLineInput(
            line=lines_by_id[f.cleaned_data["line"]],
            qty=f.cleaned_data["qty"],
            batch=f.cleaned_data.get("batch") or "",
            production_date=f.cleaned_data.get("production_date"),
            expiry=f.cleaned_data.get("expiry"),
        )
        for f in formset.forms
        if f.cleaned_data.get("qty") and f.cleaned_data.get("line") in lines_by_id
    ]
    return run_action(
        request,
        lambda: actions.receive_against_order(
            order, entries, actor=request.user, delivery_note=request.POST.get("delivery_note", "")
        ),
        done=lambda created: _("%(n)d lots received; they wait for inspection.") % {"n": len(created)},
        then=redirect("procurement:order_detail", pk=order.pk),
    )


# --- inspection -------------------------------------------------------------------------------
@require_perm("procurement.view_inspection")
def inspection_list(request: HttpRequest) -> HttpResponse:
    context = {
        "pending": queries.pending_inspection(request.user)[:100],
        "page": paginate(request, queries.inspections_for(request.user)),
        "params": request.GET,
    }
    return render(request, "procurement/inspection_list.html", context)


@require_perm("procurement.add_inspection")
def inspect(request: HttpRequest, receipt_pk: int) -> HttpResponse:
    receipt = get_scoped_or_404(queries.receipts_for(request.user), request.user, pk=receipt_pk)
    lot = receipt.lot
    initial = {"batch": lot.batch, "production_date": lot.production_date, "expiry": lot.expiry, "packaging_ok": True}
    form = InspectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        decision, reason = data.pop("decision"), data.pop("reason")
        try:
            actions.inspect_lot(
                lot, actions.InspectionInput(**data), decision=decision, reason=reason, actor=request.user
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Inspection recorded."))
            return redirect("procurement:inspection_list")
    status = 400 if form.errors else 200
    context = {"form": form, "receipt": receipt, "lot": lot, "item": lot.item}
    return render(request, "procurement/inspect.html", context, status=status)


# --- counterfeit, recall, traceability --------------------------------------------------------
@require_POST
@require_perm("procurement.mark_counterfeit")
def lot_mark_counterfeit(request: HttpRequest, lot_pk: int) -> HttpResponse:
    receipt = get_scoped_or_404(
        queries.receipts_for(request.user), request.user, lot_id=lot_pk, pk=_first_receipt(lot_pk)
    )
    return run_action(
        request,
        lambda: actions.mark_lot_counterfeit(receipt.lot, reason=request.POST.get("reason", ""), actor=request.user),
        done=_("Lot marked as suspected counterfeit; recall list ready."),
        level=messages.WARNING,
        then=lambda case: redirect("procurement:recall_detail", pk=case.pk),
        refused=redirect("procurement:trace_lot", lot_pk=lot_pk),
    )


def _first_receipt(lot_pk: int) -> int:
    return PurchaseReceipt.objects.filter(lot_id=lot_pk).order_by("pk").values_list("pk", flat=True).first() or 0


@require_perm("procurement.view_recall")
def recall_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "procurement/recall_list.html",
        {"page": paginate(request, queries.cases_for(request.user)), "params": request.GET},
    )


def _recall_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    case = get_scoped_or_404(queries.cases_for(request.user), request.user, pk=pk)
    reveal = request.GET.get("reveal") == "1" and request.user.has_perm("core.reveal_personal_data")
    if reveal:
        audit.record(
            "reveal_recall_contacts", case, actor=request.user, after={"format": request.GET.get("format", "")}
        )
    return {
        "case": case,
        "rows": queries.recall_rows(case, reveal=reveal),
        "stock": queries.case_stock(case),
        "reveal": reveal,
        "lots": case.lots.order_by("batch"),
        "blocked": case.blocked_orders.all(),
    }


RECALL_COLUMNS = [
    "批号 batch",
    "编码 site code",
    "接收单位 recipient",
    "数量 qty",
    "首次 first",
    "最近 last",
    "联系人 contact",
    "电话 phone",
    "地址 address",
]


@require_perm("procurement.view_recall")
def recall_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = _recall_context(request, pk)
    fmt = request.GET.get("format")
    case = context["case"]
    if fmt == "xlsx":
        rows = (
            [
                r.batch,
                r.site_code,
                r.site_name,
                r.qty,
                r.first_at,
                r.last_at,
                r.contact_name,
                r.contact_phone,
                r.address,
            ]
            for r in context["rows"]
        )
        response = HttpResponse(workbook_bytes("recall", RECALL_COLUMNS, rows), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="recall-{case.pk}.xlsx"'
        return response
    if fmt == "pdf":
        return pdf_response("procurement/recall_pdf.html", context, f"recall-{case.pk}.pdf")
    return render(request, "procurement/recall_detail.html", context)


@require_perm("procurement.view_recall")
def trace_lot(request: HttpRequest, lot_pk: int) -> HttpResponse:
    receipt_pk = _first_receipt(lot_pk)
    if receipt_pk:
        get_scoped_or_404(queries.receipts_for(request.user), request.user, pk=receipt_pk)
        lot = Lot.objects.select_related("item").get(pk=lot_pk)
    else:
        lot = get_scoped_or_404(Lot.objects.select_related("item"), request.user, pk=lot_pk)
    context = {
        "trace": queries.trace_lot(lot, request.user),
        "lot": lot,
        "cases": CounterfeitCase.objects.filter(lots=lot),
    }
    return render(request, "procurement/trace_lot.html", context)


@require_perm("procurement.view_recall")
def trace_site(request: HttpRequest, site_pk: int) -> HttpResponse:
    site = get_scoped_or_404(Site.objects.all(), request.user, pk=site_pk)
    context = {"site": site, "page": paginate(request, queries.deliveries_to(site)), "params": request.GET}
    return render(request, "procurement/trace_site.html", context)


@require_perm("procurement.view_recall")
def trace_home(request: HttpRequest) -> HttpResponse:
    sites = scoped(Site.objects.exclude(kind__in=["warehouse"]), request.user).order_by("code")
    batch = (request.GET.get("batch") or "").strip()
    lots = Lot.objects.filter(batch__icontains=batch).select_related("item")[:50] if batch else []
    return render(request, "procurement/trace_home.html", {"sites": sites[:500], "lots": lots, "batch": batch})
