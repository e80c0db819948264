"""Pages that receive, issue, transfer and adjust stock, and book transfers in."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baogong.core.actionviews import run_action, run_form
from baogong.core.errors import DomainError
from baogong.core.forms import show_domain_error
from baogong.core.htmx import paginate
from baogong.core.permissions import require_perm
from baogong.core.scoping import get_scoped_or_404, scoped, user_scope
from baogong.inventory import actions, resolvers
from baogong.inventory.choices import AdjustmentStatus, TransferStatus
from baogong.inventory.forms import (
    AdjustForm,
    IssueHeaderForm,
    IssueLines,
    ReceiveHeaderForm,
    ReceiveLines,
    ReceiveTransferForm,
    TransferForm,
    stock_sites,
)
from baogong.inventory.models import Adjustment, StockBalance, Transfer
from baogong.inventory.views.common import _datalists, _url
from baogong.orgs.resolvers import UNKNOWN_SITE, site_by_code


def _show_line_errors(forms: list[Any], errors: resolvers.LineErrors) -> bool:
    """Put each line's error on its form; whether there was any."""
    for i, (field, message) in errors.items():
        forms[i].add_error(field, message)
    return bool(errors)


def _stock_of(warehouse: Any) -> HttpResponse:
    """Back to the stock list of the warehouse a document was posted in."""
    return redirect(f"{_url('inventory:stock_list')}?warehouse={warehouse.code}")


def _page(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    """A stock document's form page, with the code lists its fields offer."""
    return render(request, template, {**context, **_datalists(request)})


@require_perm("inventory.receive_stock")
def receive(request: HttpRequest) -> HttpResponse:
    header = ReceiveHeaderForm(request.POST or None, user=request.user)
    lines = ReceiveLines(request.POST or None, prefix="lines")
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        warehouse = header.cleaned_data["warehouse"]
        forms = list(lines)
        inputs, errors = resolvers.receipt_lines(
            warehouse, [f.cleaned_data for f in forms], batch_field="batch", stock_locations_only=True
        )
        bad = _show_line_errors(forms, errors)
        if not inputs and not bad:
            messages.error(request, _("Add at least one line."))
        elif not bad and (
            answer := run_form(
                request,
                header,
                lambda: actions.receive_stock(
                    warehouse,
                    inputs,
                    actor=request.user,
                    reference=header.cleaned_data["reference"],
                    qc_status=header.cleaned_data["qc_status"] or None,
                    supplier_ref=header.cleaned_data["supplier"],
                    supplier_name=header.cleaned_data["supplier"],
                ),
                done=lambda receipt: _("Receipt %(number)s posted.") % {"number": receipt.number},
                then=_stock_of(warehouse),
            )
        ):
            return answer
    return _page(
        request,
        "inventory/document_form.html",
        title=_("Receive stock"),
        submit=_("Post receipt"),
        help=_(
            "One line per batch. Type or pick the item code; give the batch and expiry printed on the case. "
            "Without a bin the stock goes to the main store: put it away from the stock list afterwards."
        ),
        header=header,
        lines=lines,
    )


@require_perm("inventory.issue_stock")
def issue(request: HttpRequest) -> HttpResponse:
    header = IssueHeaderForm(request.POST or None, user=request.user)
    lines = IssueLines(request.POST or None, prefix="lines")
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        warehouse = header.cleaned_data["warehouse"]
        recipient = site_by_code(header.cleaned_data["recipient"])
        if recipient is None:
            header.add_error("recipient", UNKNOWN_SITE)
        forms = list(lines)
        inputs, errors = resolvers.issue_lines([f.cleaned_data for f in forms], batch_field="batch")
        bad = _show_line_errors(forms, errors) or recipient is None
        if not inputs and not bad:
            messages.error(request, _("Add at least one line."))
        elif (
            not bad
            and recipient is not None
            and (
                answer := run_form(
                    request,
                    header,
                    lambda: actions.issue_stock(
                        warehouse, recipient, inputs, actor=request.user, reference=header.cleaned_data["reference"]
                    ),
                    done=lambda done: _("Issue %(number)s posted.") % {"number": done.number},
                    then=_stock_of(warehouse),
                )
            )
        ):
            return answer
    return _page(
        request,
        "inventory/document_form.html",
        title=_("Issue stock"),
        submit=_("Post issue"),
        help=_(
            "Lots are picked earliest expiry first unless you name a batch. "
            "If any line is short, nothing is issued and the shortage is shown."
        ),
        header=header,
        lines=lines,
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
        lot = resolvers.lot_by_item_code(data["item"], data["batch"])
        source = resolvers.stock_location(warehouse, data["from_location"])
        target = resolvers.stock_location(warehouse, data.get("to_location") or "")
        destination = site_by_code(data["destination"]) if data.get("destination") else None
        if lot is None:
            form.add_error("batch", resolvers.UNKNOWN_LOT)
        if source is None:
            form.add_error("from_location", resolvers.UNKNOWN_LOCATION)
        if data.get("to_location") and target is None:
            form.add_error("to_location", resolvers.UNKNOWN_LOCATION)
        if data.get("destination") and destination is None:
            form.add_error("destination", UNKNOWN_SITE)
        if (
            not form.errors
            and lot is not None
            and source is not None
            and (
                answer := run_form(
                    request,
                    form,
                    lambda: actions.transfer_stock(
                        warehouse,
                        [actions.TransferLineInput(lot=lot, from_location=source, to_location=target, qty=data["qty"])],
                        actor=request.user,
                        destination=destination,
                        reference=data["reference"],
                    ),
                    done=lambda done: _("Transfer %(number)s posted.") % {"number": done.number},
                    then=_stock_of(warehouse),
                )
            )
        ):
            return answer
    return _page(
        request,
        "inventory/simple_form.html",
        title=_("Transfer or put away"),
        submit=_("Post transfer"),
        help=_(
            "Put away: move from the main store (MAIN) to a bin of the same site. "
            "To another site: leave 'To bin' empty and give the site code; the stock is in transit "
            "until that site receives it on the Transfers page."
        ),
        form=form,
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
        location = resolvers.stock_location(transfer.destination, code)
        if code and location is None:
            form.add_error("location", resolvers.UNKNOWN_LOCATION)
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
