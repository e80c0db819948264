"""Pages for vehicles, drivers, passes and route plans. Each view parses, checks, calls one action."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baogong.core import field
from baogong.core.actionviews import form_page, run_form
from baogong.core.audit import history_for
from baogong.core.errors import DomainError
from baogong.core.fieldviews import field_page
from baogong.core.forms import show_domain_error
from baogong.core.htmx import paginate, render_page_or_partial
from baogong.core.pdf import pdf_response
from baogong.core.permissions import require_perm
from baogong.core.qr import qr_svg
from baogong.core.scoping import get_scoped_or_404
from baogong.fleet import actions, queries
from baogong.fleet.choices import PlanStatus
from baogong.fleet.filters import VehicleFilter
from baogong.fleet.forms import (
    ArrivalForm,
    AssignDriverForm,
    DeliveryForm,
    DriverForm,
    MoveStopForm,
    PassForm,
    PlanForm,
    RosterForm,
    SaleForm,
    VehicleForm,
)
from baogong.fleet.models import FuelSale, PlannedRoute, RoutePlan, RouteStop, Vehicle, VehiclePass
from baogong.orgs.models import Site

# --- vehicles -------------------------------------------------------------------------------


@require_perm("fleet.view_vehicle")
def vehicle_list(request: HttpRequest) -> HttpResponse:
    vehicles = VehicleFilter(request.GET, queryset=queries.vehicles_for(request.user)).qs
    context = {"page": paginate(request, vehicles), "params": request.GET}
    return render_page_or_partial(request, "fleet/vehicle_list.html", "fleet/partials/_vehicle_table.html", context)


@require_perm("fleet.add_vehicle")
def vehicle_create(request: HttpRequest) -> HttpResponse:
    form = VehicleForm(request.POST or None, user=request.user)
    if answer := run_form(
        request,
        form,
        lambda: actions.create_vehicle(form.cleaned_data, actor=request.user),
        done=_("Vehicle saved."),
        then=lambda vehicle: redirect("fleet:vehicle_detail", pk=vehicle.pk),
    ):
        return answer
    return form_page(request, "core/form_page.html", {"form": form, "title": _("New vehicle")}, form)


@require_perm("fleet.view_vehicle")
def vehicle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = get_scoped_or_404(Vehicle.objects.select_related("organisation", "home_depot"), request.user, pk=pk)
    passes = vehicle.passes.prefetch_related("areas").order_by("-valid_until")
    context = {
        "vehicle": vehicle,
        "passes": passes,
        "pass_form": PassForm(),
        "history": history_for(vehicle)[:30],
    }
    return render(request, "fleet/vehicle_detail.html", context)


@require_perm("fleet.add_vehiclepass")
def pass_create(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = get_scoped_or_404(Vehicle.objects.all(), request.user, pk=pk)
    form = PassForm(request.POST or None, request.FILES or None)
    if answer := run_form(
        request,
        form,
        lambda: actions.register_pass(
            {**form.cleaned_data, "vehicle": vehicle},
            form.cleaned_data["areas"],
            scan=request.FILES.get("scan"),
            actor=request.user,
        ),
        done=_("Pass registered."),
        then=redirect("fleet:vehicle_detail", pk=vehicle.pk),
    ):
        return answer
    context = {"form": form, "title": _("Register a pass for %(plate)s") % {"plate": vehicle.plate}}
    return form_page(request, "core/form_page.html", context, form)


@require_POST
@require_perm("fleet.change_vehiclepass")
def pass_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    vpass = get_scoped_or_404(VehiclePass.objects.select_related("vehicle"), request.user, pk=pk)
    try:
        actions.revoke_pass(vpass, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Pass revoked."))
    return redirect("fleet:vehicle_detail", pk=vpass.vehicle_id)


@require_perm("fleet.view_vehiclepass")
def pass_scan(request: HttpRequest, pk: int) -> HttpResponse:
    vpass = get_scoped_or_404(VehiclePass.objects.all(), request.user, pk=pk)
    if not vpass.scan:
        raise Http404
    response = HttpResponse(vpass.scan.read(), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{vpass.scan.name.rsplit("/", 1)[-1]}"'
    return response


# --- drivers --------------------------------------------------------------------------------


@require_perm("fleet.view_driver")
def driver_list(request: HttpRequest) -> HttpResponse:
    context = {"page": paginate(request, queries.drivers_for(request.user))}
    return render(request, "fleet/driver_list.html", context)


@require_perm("fleet.add_driver")
def driver_create(request: HttpRequest) -> HttpResponse:
    form = DriverForm(request.POST or None, user=request.user)
    if answer := run_form(
        request,
        form,
        lambda: actions.create_driver(form.cleaned_data, actor=request.user),
        done=_("Driver saved."),
        then=redirect("fleet:driver_list"),
    ):
        return answer
    return form_page(request, "core/form_page.html", {"form": form, "title": _("New driver")}, form)


# --- plans ----------------------------------------------------------------------------------


@require_perm("fleet.view_routeplan")
def plan_list(request: HttpRequest) -> HttpResponse:
    context = {"page": paginate(request, queries.plans_for(request.user))}
    return render(request, "fleet/plan_list.html", context)


@require_perm("fleet.plan_routes")
def plan_create(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        stops = [
            actions.StopInput(
                site,
                demand_kg=data["demand_kg"],
                demand_cases=data["demand_cases"],
                service_minutes=data["service_minutes"],
            )
            for site in data["recipients"]
        ]
        if data.get("from_shipments"):
            from baogong.fleet.shipments import open_shipments, shipment_stop

            depots = sorted({v.home_depot_id for v in data["vehicles"] if v.home_depot_id})
            stops += [shipment_stop(s, data["service_minutes"]) for s in open_shipments(depots)]
        options = {k: data[k] for k in ("detour_factor", "speed_kmh", "time_limit_s", "shift_start", "shift_minutes")}
        try:
            plan = actions.create_plan(
                data["organisation"], data["date"], list(data["vehicles"]), stops, options=options, actor=request.user
            )
            actions.start_planning(plan, actor=request.user)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            return redirect("fleet:plan_detail", pk=plan.pk)
    return form_page(request, "core/form_page.html", {"form": form, "title": _("Plan a dispatch day")}, form)


def _plan_context(request: HttpRequest, plan: RoutePlan) -> dict[str, Any]:
    routes = list(queries.routes_visible(plan, request.user).select_related("vehicle__home_depot"))
    for route in routes:
        route.stop_list = list(route.stops.select_related("site").order_by("position"))  # type: ignore[attr-defined]
        route.refusals = queries.route_refusals(route)  # type: ignore[attr-defined]
    can_edit = request.user.has_perm("fleet.plan_routes")
    return {
        "plan": plan,
        "routes": routes,
        "unassigned": plan.stops.filter(route__isnull=True).select_related("site") if can_edit else [],
        "can_edit": can_edit,
        "map": queries.plan_map(plan, routes) if plan.status in (PlanStatus.PLANNED, PlanStatus.ACCEPTED) else None,
        "job": plan.job,
        "drivers": AssignDriverForm(plan=plan).fields["driver"].queryset,  # type: ignore[attr-defined]
    }


@require_perm("fleet.view_routeplan")
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_scoped_or_404(queries.plans_for(request.user), request.user, pk=pk)
    context = _plan_context(request, plan)
    return render_page_or_partial(request, "fleet/plan_detail.html", "fleet/partials/_plan_body.html", context)


@require_POST
@require_perm("fleet.plan_routes")
def plan_solve(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_scoped_or_404(RoutePlan.objects.all(), request.user, pk=pk)
    try:
        actions.start_planning(plan, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("fleet:plan_detail", pk=plan.pk)


@require_POST
@require_perm("fleet.plan_routes")
def plan_accept(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_scoped_or_404(RoutePlan.objects.all(), request.user, pk=pk)
    try:
        outcome = actions.accept_plan(plan, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("Plan accepted: vehicle and driver written to %(n)s shipments.") % {"n": len(outcome["written"])},
        )
        if outcome["kept"]:
            messages.warning(
                request,
                _("Already loaded, left as they are: %(numbers)s") % {"numbers": ", ".join(outcome["kept"])},
            )
    return redirect("fleet:plan_detail", pk=plan.pk)


@require_POST
@require_perm("fleet.plan_routes")
def stop_move(request: HttpRequest, pk: int) -> HttpResponse:
    stop = get_scoped_or_404(RouteStop.objects.select_related("plan"), request.user, pk=pk)
    form = MoveStopForm(request.POST, plan=stop.plan)
    if not form.is_valid():
        messages.error(request, _("Choose a route and a position."))
    else:
        try:
            actions.move_stop(stop, form.cleaned_data["route"], form.cleaned_data["position"], actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Stop moved; routes recomputed."))
    if request.htmx:  # type: ignore[attr-defined]
        context = _plan_context(request, stop.plan)
        return render(request, "fleet/partials/_plan_body.html", context)
    return redirect("fleet:plan_detail", pk=stop.plan_id)


@require_POST
@require_perm("fleet.plan_routes")
def route_assign_driver(request: HttpRequest, pk: int) -> HttpResponse:
    route = get_scoped_or_404(PlannedRoute.objects.select_related("plan"), request.user, pk=pk)
    form = AssignDriverForm(request.POST, plan=route.plan)
    if form.is_valid():
        try:
            actions.assign_driver(route, form.cleaned_data["driver"], actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc.message))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("fleet:plan_detail", pk=route.plan_id)


@require_perm("fleet.view_routeplan")
def route_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    route = get_scoped_or_404(
        PlannedRoute.objects.select_related("plan__organisation", "vehicle__home_depot", "driver"),
        request.user,
        pk=pk,
    )
    if not queries.routes_visible(route.plan, request.user).filter(pk=route.pk).exists():
        raise Http404
    stops = list(route.stops.select_related("site__area").order_by("position"))
    rows = [{"stop": s, "qr": qr_svg(queries.stop_qr_payload(s), scale=2)} for s in stops]
    context = {"route": route, "rows": rows, "refusals": queries.route_refusals(route)}
    filename = f"route-{route.plan.date.isoformat()}-{route.vehicle.plate}.pdf"
    return pdf_response("fleet/route_sheet.html", context, filename)


# --- fuel stations ----------------------------------------------------------------------------


@require_perm("fleet.view_fueltank")
def station_list(request: HttpRequest) -> HttpResponse:
    stations = list(queries.stations_for(request.user))
    for station in stations:
        station.tanks = queries.tanks_of(station)  # type: ignore[attr-defined]
        station.waiting = len(queries.waiting_queue(station))  # type: ignore[attr-defined]
    return render(request, "fleet/station_list.html", {"stations": stations})


def _day(request: HttpRequest) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


@require_perm("fleet.view_fueltank")
@field_page
def station_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The station's page: the attendant's phone keeps it for use without network (arrivals and
    sales recorded offline go through the phone's queue to :func:`station_post`)."""
    station = get_scoped_or_404(queries.stations_for(request.user), request.user, pk=pk)
    day = _day(request)
    tanks = queries.tanks_of(station)
    context = {
        "station": station,
        "day": day,
        "tanks": tanks,
        "version": ",".join(f"{t.code}:{t.level}" for t in tanks),  # type: ignore[attr-defined]
        "queue": queries.waiting_queue(station),
        "report": queries.station_day_report(station, day),
        "sales": FuelSale.objects.filter(tank__station=station, sold_at__date=day).select_related(
            "tank", "vehicle_pass"
        )[:200],
        "arrival_form": ArrivalForm(),
        "sale_form": SaleForm(station=station),
        "delivery_form": DeliveryForm(station=station),
        "roster_form": RosterForm(),
    }
    return render(request, "fleet/station_detail.html", context)


@require_POST
@require_perm("fleet.sell_fuel")
def station_post(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """One POST endpoint per station form: arrival, sale, delivery, roster."""
    station = get_scoped_or_404(queries.stations_for(request.user), request.user, pk=pk)
    if field.is_queued(request):
        return queued_station_post(request, station, what)
    forms_by_kind: dict[str, Any] = {
        "arrival": ArrivalForm(request.POST),
        "sale": SaleForm(request.POST, station=station),
        "delivery": DeliveryForm(request.POST, station=station),
        "roster": RosterForm(request.POST),
    }
    form = forms_by_kind.get(what)
    if form is None:
        raise Http404
    if what in {"delivery", "roster"} and not request.user.has_perm("fleet.manage_fuel_station"):
        raise PermissionDenied
    if not form.is_valid():
        for name, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[name].label if name in form.fields else ''} {error}".strip())
        return redirect("fleet:station_detail", pk=station.pk)
    data = form.cleaned_data
    try:
        if what == "arrival":
            ticket = actions.arrive_at_station(station, data["plate"], actor=request.user)
            if ticket.green_channel:
                messages.success(request, _("%(plate)s: supply vehicle, green channel.") % {"plate": ticket.plate})
            else:
                messages.info(request, _("%(plate)s joined the queue.") % {"plate": ticket.plate})
        elif what == "sale":
            sale = actions.sell_fuel(
                data["tank"],
                data["plate"],
                data["litres"],
                data["unit_price"],
                ticket=data["ticket"],
                actor=request.user,
            )
            messages.success(
                request, _("Sale logged: %(plate)s %(litres)s L.") % {"plate": sale.plate, "litres": sale.litres}
            )
        elif what == "delivery":
            actions.receive_fuel(
                data["tank"], data["litres"], data["unit_cost"], reference=data["reference"], actor=request.user
            )
            messages.success(request, _("Delivery received."))
        else:
            names = [n for n in data["attendants"].replace("，", ",").split(",")]
            actions.set_roster(station, _day(request), data["slot"], names, actor=request.user)
            messages.success(request, _("Roster saved."))
    except DomainError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        for errors in details.values():
            for error in errors if isinstance(errors, list) else [errors]:
                messages.error(request, str(error))
        if not details:
            messages.error(request, str(exc.message))
    return redirect("fleet:station_detail", pk=station.pk)


@require_perm("fleet.view_fueltank")
def station_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    station = get_scoped_or_404(queries.stations_for(request.user), request.user, pk=pk)
    day = _day(request)
    context = {"report": queries.station_day_report(station, day)}
    return pdf_response("fleet/station_report.html", context, f"station-{station.code}-{day.isoformat()}.pdf")


def queued_station_post(request: HttpRequest, station: Site, what: str) -> HttpResponse:
    """An arrival or a sale the attendant's phone recorded offline, from its queue (JSON): it
    keeps the time it was made on the phone; a replay of the same device event answers the first
    answer; a sale that no longer fits (its ticket served meanwhile, the tank's stock changed)
    becomes an offline conflict for the station manager."""
    if what == "arrival":
        form: Any = ArrivalForm(request.POST)
    elif what == "sale":
        form = SaleForm(request.POST, station=station, include_served=True)
    else:
        return field.queue_answer(404, code="not_found", message=_("Not found."))
    if not form.is_valid():
        return field.queue_answer(400, code="invalid", message=_("Some fields are not valid."), details=form.errors)
    data = form.cleaned_data
    at = field.made_at(request)
    labels = {
        "plate": _("plate"),
        "litres": _("litres"),
        "unit_price": _("price per litre"),
        "ticket": _("queue ticket"),
    }

    def target() -> field.ConflictTarget:
        return field.ConflictTarget(
            kind="fuel_sale",
            object_label=_("Fuel sale at %(station)s: %(plate)s") % {"station": station.name, "plate": data["plate"]},
            link=reverse("fleet:station_detail", args=[station.pk]),
            permission="fleet.manage_fuel_station",
            organisation_id=station.organisation_id,
            site_id=station.pk,
            payload=field.form_payload(request, labels),
        )

    if what == "arrival":
        return field.answer_queued(
            request,
            lambda: actions.arrive_at_station(station, data["plate"], actor=request.user, at=at),
            target=target,
            answer=lambda ticket: {"plate": ticket.plate, "green_channel": ticket.green_channel},
            done=lambda ticket: (
                (
                    _("%(plate)s: supply vehicle, green channel.")
                    if ticket.green_channel
                    else _("%(plate)s joined the queue.")
                )
                % {"plate": ticket.plate}
            ),
        )
    return field.answer_queued(
        request,
        lambda: actions.sell_fuel(
            data["tank"],
            data["plate"],
            data["litres"],
            data["unit_price"],
            ticket=data["ticket"],
            at=at,
            based_on=request.POST.get("based_on", "")[:64] or "offline",
            actor=request.user,
        ),
        target=target,
        answer=lambda sale: {"plate": sale.plate, "litres": sale.litres},
        done=lambda sale: _("Sale logged: %(plate)s %(litres)s L.") % {"plate": sale.plate, "litres": sale.litres},
    )


# --- The driver's shipments of the day (a field page kept for offline use) ----------------------
@require_perm("fleet.view_routeplan")
@field_page
def my_shipments(request: HttpRequest) -> HttpResponse:
    """A driver's shipments of the day with their delivery pages, which the phone keeps for use
    without network (``data-keep-offline``)."""
    driver = queries.driver_of(request.user)
    today = timezone.localdate()
    shipments = list(queries.driver_shipments(driver, today)) if driver else []
    return render(request, "fleet/my_shipments.html", {"driver": driver, "shipments": shipments, "today": today})
