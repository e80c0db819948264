"""Pages: requests and approval, allocation preview/confirm, shipments, the no-login request and
delivery pages, delivered value. Each view parses, checks permission, calls one action."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baogong.catalog.models import Item
from baogong.core.actionviews import run_action
from baogong.core.audit import history_for
from baogong.core.errors import DomainError
from baogong.core.excel import parse_date
from baogong.core.forms import domain_error_list, show_domain_error
from baogong.core.htmx import paginate, render_page_or_partial
from baogong.core.identifiers import mask_phone
from baogong.core.money import round_fen
from baogong.core.pdf import pdf_response
from baogong.core.permissions import require_perm
from baogong.core.qr import qr_svg
from baogong.core.ratelimit import rate_limited
from baogong.core.scoping import get_scoped_or_404, scoped
from baogong.distribution import actions, hooks, queries
from baogong.distribution.actions import LineInput
from baogong.distribution.choices import RequestStatus, ShipmentStatus
from baogong.distribution.forms import LoadForm, NormForm
from baogong.distribution.models import AllocationRun, Norm, Request, RequestLink, Shipment
from baogong.distribution.views.delivery import delivered_value as delivered_value
from baogong.distribution.views.delivery import delivery_page as delivery_page
from baogong.distribution.views.delivery import delivery_photo as delivery_photo
from baogong.distribution.views.delivery import load_import as load_import
from baogong.distribution.views.delivery import request_import as request_import
from baogong.orgs.models import Site

# --------------------------------------------------------------------------- requests


@require_perm("distribution.view_request")
def request_list(request: HttpRequest) -> HttpResponse:
    qs = queries.requests_for(request.user).prefetch_related("lines__item").order_by("-id")
    status = request.GET.get("status", "")
    if status in RequestStatus.values:
        qs = qs.filter(status=status)
    page = paginate(request, qs)
    context = {"page": page, "params": request.GET, "statuses": RequestStatus.choices}
    return render_page_or_partial(
        request, "distribution/request_list.html", "distribution/partials/_request_table.html", context
    )


@require_perm("distribution.view_request")
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_scoped_or_404(Request.objects.select_related("recipient"), request.user, pk=pk)
    context = {
        "obj": obj,
        "lines": obj.lines.select_related("item").order_by("id"),
        "phone": mask_phone(obj.submitter_phone) if obj.submitter_phone else "",
        "history": history_for(obj)[:50],
    }
    return render(request, "distribution/request_detail.html", context)


@require_POST
@require_perm("distribution.view_request")
def request_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    obj = get_scoped_or_404(Request.objects.all(), request.user, pk=pk)
    perms = {
        "submit": "distribution.submit_request",
        "approve": "distribution.approve_request",
        "reject": "distribution.approve_request",
        "cancel": "distribution.cancel_request",
    }
    if step not in perms:
        raise Http404
    if not request.user.has_perm(perms[step]):
        raise PermissionDenied
    reason = request.POST.get("reason", "")

    def take_step() -> Request:
        if step == "submit":
            return actions.submit_request(obj, actor=request.user)
        if step == "approve":
            cuts = {}
            for line in obj.lines.all():
                raw = request.POST.get(f"approved_{line.pk}", "").strip()
                if raw and raw != str(line.qty):
                    cuts[line.pk] = (
                        int(raw) if raw.lstrip("-").isdigit() else -1,
                        request.POST.get(f"reason_{line.pk}", ""),
                    )
            return actions.approve_request(obj, actor=request.user, cuts=cuts)
        if step == "reject":
            return actions.reject_request(obj, reason=reason, actor=request.user)
        return actions.cancel_request(obj, reason=reason, actor=request.user)

    return run_action(request, take_step, done=_("Done."), then=redirect("distribution:request_detail", pk=obj.pk))


# --------------------------------------------------------------------------- no-login request link


@rate_limited("public")
def request_link_page(request: HttpRequest, token: str) -> HttpResponse:
    """The per-recipient request form for people without an account."""
    try:
        link = actions.active_link(token)
    except DomainError:
        return render(
            request,
            "distribution/public_message.html",
            {"message": _("This link is not valid or has been revoked.")},
            status=404,
        )
    items = Item.objects.filter(is_active=True).order_by("code")
    errors: dict[str, Any] = {}
    if request.method == "POST":
        lines = []
        for i in range(10):
            code = request.POST.get(f"item_{i}", "").strip()
            qty = request.POST.get(f"qty_{i}", "").strip()
            if not code and not qty:
                continue
            item = items.filter(code=code).first() if "\x00" not in code else None  # PostgreSQL refuses NUL
            try:
                needed_by = parse_date(request.POST.get(f"needed_by_{i}", ""))
            except ValueError:
                errors[f"needed_by_{i}"] = [_("Enter a date.")]
                continue
            if item is None or not qty.isdigit():
                errors[f"line_{i}"] = [_("Choose an item and a whole quantity.")]
                continue
            lines.append(LineInput(item=item, qty=int(qty), needed_by=needed_by))
        if not errors:
            try:
                made = actions.submit_via_link(
                    token,
                    lines,
                    submitter_name=request.POST.get("name", ""),
                    submitter_phone=request.POST.get("phone", ""),
                    note=request.POST.get("note", ""),
                )
            except DomainError as exc:
                errors = exc.details if isinstance(exc.details, dict) else {"form": [str(exc.message)]}
                if not errors:
                    errors = {"form": [str(exc.message)]}
            else:
                return render(
                    request,
                    "distribution/public_message.html",
                    {
                        "message": _("Request %(number)s received. Thank you.") % {"number": made.number},
                        "warnings": made.warnings,
                    },
                )
    context = {
        "link": link,
        "items": items,
        "errors": errors,
        "rows": range(5),
        "post": request.POST,
        "today": timezone.localdate(),
    }
    return render(request, "distribution/public_request.html", context, status=400 if errors else 200)


@require_perm("distribution.manage_request_links")
def request_links(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        back = redirect("distribution:request_links")
        if request.POST.get("revoke"):
            link = get_scoped_or_404(RequestLink.objects.all(), request.user, pk=request.POST["revoke"])
            return run_action(
                request, lambda: actions.revoke_request_link(link, actor=request.user), done=_("Done."), then=back
            )
        site = get_scoped_or_404(Site.objects.all(), request.user, code=request.POST.get("recipient", ""))
        label = request.POST.get("label", "")
        return run_action(
            request,
            lambda: actions.create_request_link(site, actor=request.user, label=label),
            done=_("Done."),
            then=back,
        )
    links = scoped(RequestLink.objects.select_related("recipient"), request.user).order_by("-id")
    page = paginate(request, links)
    recipients = scoped(Site.objects.exclude(kind="warehouse").filter(is_active=True), request.user).order_by("code")
    return render(request, "distribution/request_links.html", {"page": page, "recipients": recipients})


# --------------------------------------------------------------------------- per-person norms


@require_perm("distribution.view_norm")
def norm_list(request: HttpRequest) -> HttpResponse:
    """The per-person norms (entitlement caps) of every item that has one; searchable."""
    qs = Norm.objects.select_related("item").order_by("item__code")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(item__code__icontains=q) | Q(item__name__icontains=q))
    page = paginate(request, qs)
    context = {"page": page, "params": request.GET}
    return render_page_or_partial(
        request, "distribution/norm_list.html", "distribution/partials/_norm_table.html", context
    )


def _norm_form_page(request: HttpRequest, form: NormForm, norm: Norm | None) -> HttpResponse:
    """Create or edit through ``set_norm``; the edit page shows what the norm means for the
    recipients the user can see (people served × norm)."""
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_norm(
                form.cleaned_data["item"],
                form.cleaned_data["qty_per_person"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Norm saved."))
            return redirect("distribution:norm_list")
    examples = []
    if norm is not None:
        sites = scoped(Site.objects.exclude(kind="warehouse").filter(headcount__isnull=False), request.user)
        for site in sites.order_by("-headcount", "code")[:10]:
            examples.append((site, queries.entitlement(site.headcount, norm.qty_per_person)))
    context = {"form": form, "norm": norm, "examples": examples}
    return render(request, "distribution/norm_form.html", context, status=400 if form.errors else 200)


@require_perm("distribution.add_norm")
def norm_create(request: HttpRequest) -> HttpResponse:
    return _norm_form_page(request, NormForm(request.POST or None), None)


@require_perm("distribution.change_norm")
def norm_edit(request: HttpRequest, pk: int) -> HttpResponse:
    norm = get_object_or_404(Norm.objects.select_related("item"), pk=pk)  # norms are group-wide
    return _norm_form_page(request, NormForm(request.POST or None, norm=norm), norm)


# --------------------------------------------------------------------------- allocation


@require_perm("distribution.view_allocationrun")
def allocation_home(request: HttpRequest) -> HttpResponse:
    warehouses = scoped(Site.objects.filter(kind="warehouse", is_active=True), request.user).order_by("code")
    if request.method == "POST":
        if not request.user.has_perm("distribution.run_allocation"):
            raise PermissionDenied
        # The warehouses not normal (their boxes are disabled) go along so the preview says why
        # they are left out (the action never sources from them).
        chosen = list(warehouses.filter(Q(pk__in=request.POST.getlist("warehouse")) | ~Q(status="normal")))
        try:
            run = actions.preview_allocation(chosen, actor=request.user)
        except DomainError as exc:
            show_domain_error(request, exc)
            return redirect("distribution:allocation_home")
        return redirect("distribution:allocation_run", pk=run.pk)
    runs = paginate(request, AllocationRun.objects.prefetch_related("warehouses").order_by("-id"))
    open_lines = queries.open_lines().count()
    return render(
        request,
        "distribution/allocation_home.html",
        {"warehouses": warehouses, "page": runs, "open_lines": open_lines, "held": _held_warehouses(request)},
    )


@require_perm("distribution.view_allocationrun")
def allocation_run(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run = AllocationRun.objects.get(pk=pk)
    except AllocationRun.DoesNotExist as exc:
        raise Http404 from exc
    if request.method == "POST":
        if not request.user.has_perm("distribution.run_allocation"):
            raise PermissionDenied
        step = actions.confirm_allocation if request.POST.get("step") == "confirm" else actions.discard_allocation
        return run_action(
            request,
            lambda: step(run, actor=request.user),
            done=_("Done."),
            then=redirect("distribution:allocation_run", pk=run.pk),
        )
    lines = run.lines.select_related("request_line__item", "request_line__request__recipient").order_by(
        "request_line__item__code", "tier", "-qty"
    )
    return render(
        request, "distribution/allocation_run.html", {"run": run, "lines": lines, "held": _held_warehouses(request)}
    )


# --------------------------------------------------------------------------- re-plan (重新调配)


@require_perm("distribution.run_allocation")
def replan(request: HttpRequest, pk: int) -> HttpResponse:
    """The diff of re-planning a warehouse that is not normal; POST confirms the diff shown."""
    warehouse = get_scoped_or_404(Site.objects.filter(kind="warehouse"), request.user, pk=pk)
    if request.method == "POST":
        return run_action(
            request,
            lambda: actions.replan_warehouse(
                warehouse, actor=request.user, expected=request.POST.get("fingerprint") or "-"
            ),
            done=lambda done: (
                _("Re-planned: %(moved)s units moved to other warehouses, %(short)s short.")
                % {"moved": done.moved_units, "short": done.short_units}
            ),
            then=redirect("distribution:shipment_list"),
            refused=redirect("distribution:replan", pk=warehouse.pk),
        )
    context: dict[str, Any] = {"warehouse": warehouse, "replan": None, "errors": []}
    try:
        context["replan"] = actions.preview_replan(warehouse, actor=request.user)
    except DomainError as exc:
        context["errors"] = domain_error_list(exc)
    return render(request, "distribution/replan.html", context)


def _held_warehouses(request: HttpRequest) -> list[Site]:
    """The warehouses of the user's scope that are not normal (for the banners)."""
    return list(
        scoped(Site.objects.filter(kind="warehouse", is_active=True).exclude(status="normal"), request.user).order_by(
            "code"
        )
    )


# --------------------------------------------------------------------------- shipments


@require_perm("distribution.view_shipment")
def shipment_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not request.user.has_perm("distribution.plan_shipment"):
            raise PermissionDenied
        made = actions.plan_shipments(actor=request.user)
        messages.success(request, _("%(n)d shipments planned.") % {"n": len(made)})
        return redirect("distribution:shipment_list")
    qs = scoped(Shipment.objects.select_related("warehouse", "recipient"), request.user).order_by("-id")
    status = request.GET.get("status", "")
    if status in ShipmentStatus.values:
        qs = qs.filter(status=status)
    page = paginate(request, qs)
    return render_page_or_partial(
        request,
        "distribution/shipment_list.html",
        "distribution/partials/_shipment_table.html",
        {"page": page, "params": request.GET, "statuses": ShipmentStatus.choices, "held": _held_warehouses(request)},
    )


def _shipment_context(request: HttpRequest, shipment: Shipment) -> dict[str, Any]:
    lines = list(
        shipment.lines.select_related("item", "lot", "from_location", "request_line__request").order_by(
            "from_location__code", "item__code", "lot__expiry", "pk"
        )
    )
    link = request.build_absolute_uri(reverse("distribution:delivery_page", args=[shipment.pod_token]))
    for li in lines:
        li.value = round_fen(li.qty * li.unit_cost)  # type: ignore[attr-defined]
    return {
        "shipment": shipment,
        "lines": lines,
        "value": round_fen(sum((li.qty * li.unit_cost for li in lines), start=Decimal(0))),
        "units": sum(li.qty for li in lines),
        "link": link,
        "refusals": _banner_refusals(shipment),
        "held": [w for w in [shipment.warehouse, shipment.recipient] if w.status != "normal"],
    }


def _banner_refusals(shipment: Shipment) -> list[str]:
    """Why the shipment may not be loaded or dispatched now; before loading, a vehicle or driver
    not chosen yet is no reason (the load form asks for them)."""
    if shipment.status not in (ShipmentStatus.PICKED, ShipmentStatus.LOADED):
        return []
    errors = actions.transport_refusals(shipment)
    if shipment.status == ShipmentStatus.PICKED:
        if shipment.vehicle_id is None:
            errors.pop("vehicle_id", None)
        if shipment.driver_id is None:
            errors.pop("driver_id", None)
    return [reason for reasons in errors.values() for reason in reasons]


def _load_form(request: HttpRequest, shipment: Shipment, data: Any = None) -> LoadForm:
    """The load form: registered vehicles and drivers the user may use, those of the shipment first
    selected (a route plan may have assigned them)."""
    options: tuple[list[Any], list[Any]] = ([], [])
    for registry in hooks.TRANSPORT:
        options = registry.options(request.user, shipment)
    initial = {"vehicle_id": shipment.vehicle_id, "driver_id": shipment.driver_id}
    return LoadForm(data, options=options, initial=initial)


def _show_refusal(form: LoadForm, exc: DomainError) -> None:
    """A refused load: each reason on its field (vehicle, driver), the sites' above the form."""
    details = exc.details if isinstance(exc.details, dict) else {}
    shown = False
    for field, reasons in details.items():
        if field == "reasons" or not isinstance(reasons, list):
            continue
        for reason in reasons:
            form.add_error(field if field in form.fields else None, str(reason))
            shown = True
    if not shown:
        form.add_error(None, str(exc.message))


@require_perm("distribution.view_shipment")
def shipment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = get_scoped_or_404(Shipment.objects.select_related("warehouse", "recipient"), request.user, pk=pk)
    load_form = None
    if request.method == "POST":
        step = request.POST.get("step", "")
        perms = {
            "pick": "pick_shipment",
            "load": "load_shipment",
            "dispatch": "dispatch_shipment",
            "close": "close_shipment",
        }
        if step not in perms:
            raise Http404
        if not request.user.has_perm(f"distribution.{perms[step]}"):
            raise PermissionDenied
        if step == "load":
            load_form = _load_form(request, shipment, request.POST)
            if load_form.is_valid():
                try:
                    actions.load_shipment(
                        shipment,
                        actor=request.user,
                        vehicle_id=load_form.cleaned_data["vehicle_id"],
                        driver_id=load_form.cleaned_data["driver_id"],
                    )
                except DomainError as exc:
                    _show_refusal(load_form, exc)
                else:
                    messages.success(request, _("Done."))
                    return redirect("distribution:shipment_detail", pk=shipment.pk)
            shipment.refresh_from_db()
        else:
            try:
                if step == "pick":
                    actions.pick_shipment(shipment, actor=request.user)
                elif step == "dispatch":
                    actions.dispatch_shipment(shipment, actor=request.user)
                else:
                    actions.close_shipment(shipment, actor=request.user)
                messages.success(request, _("Done."))
            except DomainError as exc:
                show_domain_error(request, exc)
            return redirect("distribution:shipment_detail", pk=shipment.pk)
    context = _shipment_context(request, shipment)
    context["qr"] = qr_svg(context["link"])
    context["history"] = history_for(shipment)[:50]
    if shipment.status in (ShipmentStatus.PICKED, ShipmentStatus.LOADED) and request.user.has_perm(
        "distribution.load_shipment"
    ):
        context["load_form"] = load_form or _load_form(request, shipment)
    status = 400 if load_form is not None and load_form.errors else 200
    return render(request, "distribution/shipment_detail.html", context, status=status)


def _planned_lines(shipment: Shipment) -> list[Any]:
    return list(
        shipment.lines.select_related("item", "lot", "from_location", "request_line__request").order_by(
            "item__code", "lot__expiry", "pk"
        )
    )


@require_perm("distribution.plan_shipment")
def shipment_split(request: HttpRequest, pk: int) -> HttpResponse:
    """Move some lines of a planned shipment to a new planned shipment (``split_shipment``)."""
    shipment = get_scoped_or_404(Shipment.objects.select_related("warehouse", "recipient"), request.user, pk=pk)
    errors: list[str] = []
    chosen: set[int] = set()
    if request.method == "POST":
        chosen = {int(v) for v in request.POST.getlist("line") if v.isdigit()}
        try:
            new = actions.split_shipment(shipment, sorted(chosen), actor=request.user)
        except DomainError as exc:
            errors = domain_error_list(exc)
        else:
            messages.success(
                request,
                _("%(n)d lines moved to the new shipment %(number)s.") % {"n": len(chosen), "number": new.number},
            )
            return redirect("distribution:shipment_detail", pk=new.pk)
    context = {
        "shipment": shipment,
        "lines": _planned_lines(shipment),
        "chosen": chosen,
        "errors": errors,
        "planned": shipment.status == ShipmentStatus.PLANNED,
    }
    return render(request, "distribution/shipment_split.html", context, status=400 if errors else 200)


@require_perm("distribution.plan_shipment")
def shipment_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge another planned shipment of the same warehouse and recipient into this one."""
    shipment = get_scoped_or_404(Shipment.objects.select_related("warehouse", "recipient"), request.user, pk=pk)
    errors: list[str] = []
    if request.method == "POST":
        raw = request.POST.get("other", "")
        if not raw.isdigit():
            errors = [_("Choose the shipment to merge into this one.")]
        else:
            other = get_scoped_or_404(Shipment.objects.all(), request.user, pk=int(raw))
            try:
                actions.merge_shipments(shipment, other, actor=request.user)
            except DomainError as exc:
                errors = domain_error_list(exc)
            else:
                messages.success(request, _("Shipment %(number)s merged into this one.") % {"number": other.number})
                return redirect("distribution:shipment_detail", pk=shipment.pk)
    candidates = (
        scoped(Shipment.objects.all(), request.user)
        .filter(warehouse_id=shipment.warehouse_id, recipient_id=shipment.recipient_id, status=ShipmentStatus.PLANNED)
        .exclude(pk=shipment.pk)
        .annotate(n_lines=Count("lines"), units=Sum("lines__qty"))
        .order_by("number")
    )
    context = {
        "shipment": shipment,
        "lines": _planned_lines(shipment),
        "candidates": candidates,
        "errors": errors,
        "planned": shipment.status == ShipmentStatus.PLANNED,
    }
    return render(request, "distribution/shipment_merge.html", context, status=400 if errors else 200)


@require_perm("distribution.view_shipment")
def shipment_picklist(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = get_scoped_or_404(Shipment.objects.select_related("warehouse", "recipient"), request.user, pk=pk)
    return render(request, "distribution/picklist.html", _shipment_context(request, shipment))


@require_perm("distribution.view_shipment")
def delivery_note(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = get_scoped_or_404(Shipment.objects.select_related("warehouse", "recipient"), request.user, pk=pk)
    context = _shipment_context(request, shipment)
    context["qr"] = qr_svg(context["link"])  # inline SVG: core.pdf fetcher fails on <img> with this WeasyPrint
    return pdf_response("distribution/delivery_note_pdf.html", context, f"{shipment.number}.pdf")
