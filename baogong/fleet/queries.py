"""Reads shared by views, API and other apps (distribution asks ``shipment_dispatch_refusals``, registered
in :mod:`baogong.distribution.hooks`, before loading)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from baogong.core.scoping import scoped
from baogong.distribution.models import Shipment
from baogong.fleet import routing
from baogong.fleet.choices import LICENCE_ALLOWS, VehicleKind, VehicleStatus
from baogong.fleet.models import (
    Driver,
    FuelQueueTicket,
    FuelSale,
    FuelShift,
    FuelTank,
    PlannedRoute,
    RoutePlan,
    RouteStop,
    Vehicle,
    VehiclePass,
)
from baogong.orgs.models import AdministrativeArea, Site
from baogong.people import queries as people_queries


def vehicles_for(user: Any) -> QuerySet[Vehicle]:
    return scoped(Vehicle.objects.select_related("organisation", "home_depot"), user)


def drivers_for(user: Any) -> QuerySet[Driver]:
    return scoped(Driver.objects.select_related("organisation"), user)


def passes_for(user: Any) -> QuerySet[VehiclePass]:
    return scoped(VehiclePass.objects.select_related("vehicle").prefetch_related("areas"), user)


def plans_for(user: Any) -> QuerySet[RoutePlan]:
    """Plans a user may see; a driver (no ``fleet.view_vehicle``) sees only plans with a route of theirs."""
    qs = scoped(RoutePlan.objects.select_related("organisation"), user)
    if not user.has_perm("fleet.view_vehicle"):
        qs = qs.filter(routes__driver__user=user).distinct()
    return qs


def driver_of(user: Any) -> Driver | None:
    """The driver record linked to ``user``, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Driver.objects.filter(user=user).first()


def driver_shipments(driver: Driver, on_date: dt.date) -> QuerySet[Shipment]:
    """The driver's shipments of the day: loaded or on the way, and those delivered that day."""
    from django.db.models import Q

    from baogong.distribution.choices import ShipmentStatus

    on_the_way = Q(status__in=[ShipmentStatus.LOADED, ShipmentStatus.IN_TRANSIT])
    delivered = Q(status=ShipmentStatus.DELIVERED, delivered_at__date=on_date)
    return (
        Shipment.objects.filter(driver_id=driver.pk)
        .filter(on_the_way | delivered)
        .select_related("recipient")
        .order_by("status", "recipient__name", "pk")
    )


def driver_stops(driver: Driver, on_date: dt.date) -> QuerySet[RouteStop]:
    """The driver's stops of that day's plans, in driving order."""
    return (
        RouteStop.objects.filter(route__driver=driver, plan__date=on_date)
        .select_related("site", "shipment", "route", "route__vehicle", "plan")
        .order_by("route__start", "route_id", "position", "pk")
    )


def shifts_on(station: Site, on_date: dt.date) -> QuerySet[FuelShift]:
    return FuelShift.objects.filter(station=station, date=on_date).order_by("slot", "attendant")


def routes_visible(plan: RoutePlan, user: Any) -> QuerySet[PlannedRoute]:
    qs = plan.routes.select_related("vehicle", "driver").order_by("vehicle__plate")
    if not user.has_perm("fleet.view_vehicle"):
        qs = qs.filter(driver__user=user)
    return qs


def valid_passes(vehicle: Vehicle, on_date: dt.date) -> list[VehiclePass]:
    return list(
        vehicle.passes.filter(revoked=False, valid_from__lte=on_date, valid_until__gte=on_date).prefetch_related(
            "areas"
        )
    )


def first_valid_pass(vehicle: Vehicle, on_date: dt.date) -> VehiclePass | None:
    """The first of :func:`valid_passes` (in their order), without loading the passes' areas: the
    green-channel check at a fuel station needs only whether there is one, and which."""
    return vehicle.passes.filter(revoked=False, valid_from__lte=on_date, valid_until__gte=on_date).first()


def passes_expiring(qs: QuerySet[VehiclePass], on_date: dt.date, within_days: int) -> QuerySet[VehiclePass]:
    """Unrevoked passes valid on ``on_date`` that end within ``within_days`` days."""
    return (
        qs.filter(
            revoked=False,
            valid_from__lte=on_date,
            valid_until__gte=on_date,
            valid_until__lte=on_date + dt.timedelta(days=within_days),
        )
        .select_related("vehicle")
        .order_by("valid_until", "number")
    )


def _area_chain(area: AdministrativeArea | None) -> set[int]:
    chain: set[int] = set()
    while area is not None and area.pk not in chain:
        chain.add(area.pk)
        area = area.parent
    return chain


def pass_covers(vpass: VehiclePass, site: Site, chains: dict[int, set[int]] | None = None) -> bool:
    """A pass covers a site when it names the site's street/town or an area containing it.
    ``chains``: the area chains already walked in this call (area id → ids), filled as it goes."""
    covered = {a.pk for a in vpass.areas.all()}
    if chains is None or site.area_id is None:
        return bool(covered & _area_chain(site.area))
    if site.area_id not in chains:
        chains[site.area_id] = _area_chain(site.area)
    return bool(covered & chains[site.area_id])


def driver_clearance(driver: Driver, on_date: dt.date) -> list[str]:
    """The people app's verdict on the driver (negative test within the window, closed loop, ...):
    ``people.queries.person_clearance(person, on_date)`` when the driver is linked to a person."""
    person = driver.person  # no query when the driver is not linked
    if person is None:
        return [
            _("Driver %(name)s is not linked to a person record; health clearance unknown.") % {"name": driver.name}
        ]
    return [str(reason) for reason in people_queries.person_clearance(person, on_date)]


def vehicle_refusals(
    vehicle: Vehicle,
    on_date: dt.date,
    destination_sites: Iterable[Site],
    *,
    passes: list[VehiclePass] | None = None,
    chains: dict[int, set[int]] | None = None,
) -> list[str]:
    """Why ``vehicle`` may not carry goods to ``destination_sites`` on ``on_date``: not active, no
    pass valid on the day, or no valid pass covering a destination's area (一车一证一线路).
    ``passes``: the vehicle's :func:`valid_passes` on the day when already read; ``chains``: see
    :func:`pass_covers`."""
    reasons: list[str] = []
    plate = vehicle.plate
    if vehicle.status != VehicleStatus.ACTIVE:
        reasons.append(
            _("Vehicle %(plate)s is not active (%(status)s).")
            % {"plate": plate, "status": vehicle.get_status_display()}
        )
    if passes is None:
        passes = valid_passes(vehicle, on_date)
    if not passes:
        last = vehicle.passes.filter(revoked=False, valid_until__lt=on_date).order_by("-valid_until").first()
        future = vehicle.passes.filter(revoked=False, valid_from__gt=on_date).order_by("valid_from").first()
        if last is not None and future is None:
            reasons.append(
                _("Vehicle %(plate)s: pass %(number)s expired on %(date)s.")
                % {"plate": plate, "number": last.number, "date": last.valid_until.isoformat()}
            )
        elif future is not None:
            reasons.append(
                _("Vehicle %(plate)s: pass %(number)s is valid only from %(date)s.")
                % {"plate": plate, "number": future.number, "date": future.valid_from.isoformat()}
            )
        else:
            reasons.append(_("Vehicle %(plate)s has no valid pass on %(date)s.") % {"plate": plate, "date": on_date})
    else:
        for site in destination_sites:
            if not any(pass_covers(p, site, chains) for p in passes):
                area = site.area.name if site.area else _("no area")
                reasons.append(
                    _("Vehicle %(plate)s: no valid pass covers %(site)s (%(area)s).")
                    % {"plate": plate, "site": site.name, "area": area}
                )
    return reasons


def driver_refusals(driver: Driver | None, vehicle: Vehicle | None, on_date: dt.date) -> list[str]:
    """Why ``driver`` may not drive ``vehicle`` on ``on_date``: none assigned, inactive, licence
    expired or of the wrong class, and the people app's clearance of the driver's person record."""
    if driver is None:
        return [_("No driver is assigned.")]
    reasons: list[str] = []
    if not driver.is_active:
        reasons.append(_("Driver %(name)s is not active.") % {"name": driver.name})
    if driver.licence_expiry < on_date:
        reasons.append(
            _("Driver %(name)s: licence expired on %(date)s.")
            % {"name": driver.name, "date": driver.licence_expiry.isoformat()}
        )
    if vehicle is not None:
        allowed = LICENCE_ALLOWS.get(VehicleKind(vehicle.kind), set())
        if driver.licence_class not in allowed:
            reasons.append(
                _("Driver %(name)s: licence class %(cls)s does not allow a %(kind)s.")
                % {"name": driver.name, "cls": driver.licence_class, "kind": vehicle.get_kind_display()}
            )
    reasons.extend(driver_clearance(driver, on_date))
    return reasons


def dispatch_refusals(
    vehicle: Vehicle, driver: Driver | None, on_date: dt.date, destination_sites: Iterable[Site]
) -> list[str]:
    """Why ``vehicle`` driven by ``driver`` may not carry goods to ``destination_sites`` on ``on_date``;
    empty when the dispatch is allowed."""
    return [
        *vehicle_refusals(vehicle, on_date, destination_sites),
        *driver_refusals(driver, vehicle, on_date),
    ]


def shipment_transport_refusals(shipment: Shipment, on_date: dt.date) -> dict[str, list[str]]:
    """The fleet's reasons, field by field, why a distribution shipment may not be loaded or leave on
    ``on_date``: the vehicle's status and passes (``vehicle_id``), the driver's licence and clearance
    (``driver_id``). Asked through :mod:`baogong.distribution.hooks` (``FleetTransport.refusals``)."""
    errors: dict[str, list[str]] = {}
    vehicle = Vehicle.objects.filter(pk=shipment.vehicle_id).first() if shipment.vehicle_id else None
    if shipment.vehicle_id is not None:
        if vehicle is None:
            errors["vehicle_id"] = [_("The assigned vehicle is not registered.")]
        else:
            reasons = vehicle_refusals(vehicle, on_date, [shipment.recipient])
            if reasons:
                errors["vehicle_id"] = [str(r) for r in reasons]
    if shipment.driver_id is not None:
        driver = Driver.objects.filter(pk=shipment.driver_id).select_related("person").first()
        if driver is None:
            errors["driver_id"] = [_("The assigned driver is not registered.")]
        else:
            reasons = driver_refusals(driver, vehicle, on_date)
            if reasons:
                errors["driver_id"] = [str(r) for r in reasons]
    return errors


def shipments_transport_refusals(shipments: Sequence[Shipment], on_date: dt.date) -> dict[int, dict[str, list[str]]]:
    """:func:`shipment_transport_refusals` for many shipments (a day's batch), shipment id → the
    same answer: the vehicles and drivers read in one query each, a vehicle's passes once, a
    driver's verdict (licence, health clearance) once per kind of vehicle, an area's chain once."""
    vehicles = Vehicle.objects.in_bulk({sh.vehicle_id for sh in shipments if sh.vehicle_id is not None})
    wanted = {sh.driver_id for sh in shipments if sh.driver_id is not None}
    drivers = {d.pk: d for d in Driver.objects.filter(pk__in=wanted).select_related("person")}
    passes: dict[int, list[VehiclePass]] = {}
    chains: dict[int, set[int]] = {}
    verdicts: dict[tuple[int, str | None], list[str]] = {}
    answers: dict[int, dict[str, list[str]]] = {}
    for shipment in shipments:
        errors: dict[str, list[str]] = {}
        vehicle = vehicles.get(shipment.vehicle_id) if shipment.vehicle_id is not None else None
        if shipment.vehicle_id is not None:
            if vehicle is None:
                errors["vehicle_id"] = [_("The assigned vehicle is not registered.")]
            else:
                if vehicle.pk not in passes:
                    passes[vehicle.pk] = valid_passes(vehicle, on_date)
                found = vehicle_refusals(
                    vehicle, on_date, [shipment.recipient], passes=passes[vehicle.pk], chains=chains
                )
                if found:
                    errors["vehicle_id"] = [str(r) for r in found]
        if shipment.driver_id is not None:
            driver = drivers.get(shipment.driver_id)
            if driver is None:
                errors["driver_id"] = [_("The assigned driver is not registered.")]
            else:
                key = (driver.pk, vehicle.kind if vehicle is not None else None)
                if key not in verdicts:
                    verdicts[key] = [str(r) for r in driver_refusals(driver, vehicle, on_date)]
                if verdicts[key]:
                    errors["driver_id"] = list(verdicts[key])
        answers[shipment.pk] = errors
    return answers


def shipment_dispatch_refusals(shipment: Shipment, on_date: dt.date) -> list[str]:
    """:func:`shipment_transport_refusals` as one list."""
    return [r for reasons in shipment_transport_refusals(shipment, on_date).values() for r in reasons]


def route_refusals(route: PlannedRoute) -> list[str]:
    sites = [s.site for s in route.stops.select_related("site__area__parent")]
    return dispatch_refusals(route.vehicle, route.driver, route.plan.date, sites)


# --- planning inputs --------------------------------------------------------------------------


def _minutes(t: dt.time | None) -> int | None:
    return None if t is None else t.hour * 60 + t.minute


def plan_options(plan: RoutePlan) -> routing.PlanOptions:
    from django.conf import settings

    return routing.PlanOptions(
        detour_factor=float(plan.detour_factor),
        speed_kmh=float(plan.speed_kmh),
        seconds=float(plan.time_limit_s),
        osrm_url=getattr(settings, "BAOGONG_OSRM_URL", "") or "",
        # > 0: a fixed number of search iterations instead of the plan's time limit (the test suite:
        # the same routes on any machine under any load, in a tenth of the second limit)
        max_iterations=int(getattr(settings, "BAOGONG_ROUTING_ITERATIONS", 0) or 0),
    )


def routing_stop(stop: RouteStop) -> routing.Stop:
    site = stop.site
    start, end = _minutes(site.receiving_from), _minutes(site.receiving_until)
    window = (start if start is not None else 0, end if end is not None else 24 * 60 - 1)
    return routing.Stop(
        key=str(stop.pk),
        lat=float(site.lat or 0),
        lon=float(site.lon or 0),
        demand=(stop.demand_kg, stop.demand_litres, stop.demand_cases),
        window=window if (start is not None or end is not None) else None,
        service_minutes=stop.service_minutes,
        label=site.name,
        depot_key=str(stop.shipment.warehouse_id) if stop.shipment_id and stop.shipment else None,
    )


def routing_vehicle(vehicle: Vehicle, plan: RoutePlan) -> routing.Vehicle:
    depot = vehicle.home_depot
    assert depot is not None
    return routing.Vehicle(
        key=str(vehicle.pk),
        depot_key=str(depot.pk),
        depot_lat=float(depot.lat or 0),
        depot_lon=float(depot.lon or 0),
        capacity=(vehicle.capacity_kg, int(vehicle.capacity_m3 * 1000), vehicle.capacity_cases),
        shift_start=_minutes(plan.shift_start) or 0,
        shift_minutes=plan.shift_minutes,
        label=vehicle.plate,
    )


def plan_inputs(
    plan: RoutePlan,
) -> tuple[routing.PlanOptions, dict[int, routing.Vehicle], dict[int, routing.Stop]]:
    vehicles = {v.pk: routing_vehicle(v, plan) for v in plan.vehicles.select_related("home_depot").order_by("plate")}
    stops = {s.pk: routing_stop(s) for s in plan.stops.select_related("site", "shipment").order_by("pk")}
    return plan_options(plan), vehicles, stops


def plan_map(plan: RoutePlan, routes: Iterable[PlannedRoute]) -> dict[str, Any]:
    """Data for the offline ECharts map: area outline, depots, stops and route lines (lon, lat)."""
    from baogong.fleet.outline import baoshan_outline

    series = []
    depots: dict[int, list[Any]] = {}
    for route in routes:
        depot = route.vehicle.home_depot
        if depot is None or depot.lat is None or depot.lon is None:
            continue
        depots[depot.pk] = [float(depot.lon), float(depot.lat), depot.name]
        points = [[float(depot.lon), float(depot.lat)]]
        stops = []
        for s in route.stops.select_related("site").order_by("position"):
            if s.site.lat is None or s.site.lon is None:
                continue
            points.append([float(s.site.lon), float(s.site.lat)])
            stops.append([float(s.site.lon), float(s.site.lat), f"{s.position}. {s.site.name}"])
        points.append(points[0])
        series.append({"name": route.vehicle.plate, "line": points, "stops": stops})
    unassigned = [
        [float(s.site.lon), float(s.site.lat), s.site.name]
        for s in plan.stops.filter(route__isnull=True).select_related("site")
        if s.site.lat is not None and s.site.lon is not None
    ]
    return {
        "outline": baoshan_outline(),
        "areas": [
            [float(a.lon or 0), float(a.lat or 0), a.name]
            for a in AdministrativeArea.objects.filter(
                level__in=["street", "town"], lat__isnull=False, lon__isnull=False
            )
        ],
        "depots": list(depots.values()),
        "routes": series,
        "unassigned": unassigned,
        # the names the map shows (axes, tooltips) in the reader's language
        "labels": {
            "outline": _("District boundary"),
            "areas": _("Towns and streets"),
            "depots": _("Depot"),
            "unassigned": _("Not on a route"),
            "lon": _("Longitude"),
            "lat": _("Latitude"),
        },
    }


def stop_qr_payload(stop: RouteStop) -> str:
    """What a stop's QR code holds: its delivery note reference (scanned at proof of delivery)."""
    reference = stop.reference or f"STOP-{stop.pk}"
    return f"baogong:delivery:{reference}:stop:{stop.pk}:site:{stop.site.code}"


# --- fuel stations ----------------------------------------------------------------------------


def tank_level(tank: FuelTank) -> int:
    """Litres in the tank: the ledger balance of its location."""
    from django.db.models import Sum

    from baogong.inventory.models import StockBalance

    total = StockBalance.objects.filter(location_id=tank.location_id, item_id=tank.item_id).aggregate(s=Sum("on_hand"))
    return int(total["s"] or 0)


def stations_for(user: Any) -> QuerySet[Site]:
    return scoped(Site.objects.filter(kind="fuel_station", is_active=True).order_by("code"), user)


def green_litres(stations: QuerySet[Site], start: dt.datetime, end: dt.datetime) -> int:
    """Green-channel litres sold at ``stations`` in [start, end): one sum, the same as adding the
    green column of ``station_day_report`` over the stations and days."""
    from django.db.models import Sum

    total = FuelSale.objects.filter(
        tank__station__in=stations, green_channel=True, sold_at__gte=start, sold_at__lt=end
    ).aggregate(litres=Sum("litres"))["litres"]
    return int(total or 0)


def tanks_of(station: Site) -> list[FuelTank]:
    tanks = list(FuelTank.objects.filter(station=station).select_related("item").order_by("code"))
    for tank in tanks:
        tank.level = tank_level(tank)  # type: ignore[attr-defined]
        tank.is_low = tank.level <= tank.low_level_litres  # type: ignore[attr-defined]
    return tanks


def waiting_queue(station: Site) -> list[FuelQueueTicket]:
    """Vehicles waiting, in the order they are served: green channel first, then by arrival."""
    return list(
        FuelQueueTicket.objects.filter(station=station, served_at__isnull=True)
        .select_related("vehicle_pass")
        .order_by("-green_channel", "arrived_at", "pk")
    )


def roster_gaps(station: Site, on_date: dt.date) -> list[str]:
    """Slots of the 24-hour roster with nobody on duty."""
    from baogong.fleet.choices import ShiftSlot

    staffed = set(FuelShift.objects.filter(station=station, date=on_date).values_list("slot", flat=True))
    return [slot for slot in ShiftSlot.values if slot not in staffed]


def station_day_report(station: Site, on_date: dt.date) -> dict[str, Any]:
    """Per tank: opening and closing litres (ledger), received, sold (of which green channel), takings;
    per shift: litres and amount; the roster."""
    from decimal import Decimal

    from django.db.models import Sum
    from django.utils import timezone

    from baogong.core.money import round_fen
    from baogong.inventory.choices import LocationKind
    from baogong.inventory.models import StockMove

    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(on_date, dt.time(0, 0), tzinfo=tz)
    end = start + dt.timedelta(days=1)
    rows = []
    for tank in FuelTank.objects.filter(station=station).select_related("item").order_by("code"):
        moves = StockMove.objects.filter(item_id=tank.item_id)
        ins_before = moves.filter(to_location_id=tank.location_id, at__lt=start).aggregate(s=Sum("qty"))["s"] or 0
        outs_before = moves.filter(from_location_id=tank.location_id, at__lt=start).aggregate(s=Sum("qty"))["s"] or 0
        day = moves.filter(at__gte=start, at__lt=end)
        received = (
            day.filter(to_location_id=tank.location_id, from_location__kind=LocationKind.SUPPLIER).aggregate(
                s=Sum("qty")
            )["s"]
            or 0
        )
        ins_day = day.filter(to_location_id=tank.location_id).aggregate(s=Sum("qty"))["s"] or 0
        outs_day = day.filter(from_location_id=tank.location_id).aggregate(s=Sum("qty"))["s"] or 0
        sales = FuelSale.objects.filter(tank=tank, sold_at__gte=start, sold_at__lt=end)
        totals = sales.aggregate(litres=Sum("litres"), amount=Sum("amount"))
        green = sales.filter(green_channel=True).aggregate(litres=Sum("litres"))["litres"] or 0
        rows.append(
            {
                "tank": tank,
                "opening": ins_before - outs_before,
                "received": received,
                "sold": totals["litres"] or 0,
                "green": green,
                # SQLite sums decimals as floats (631.200000000000): to the fen, as every amount shows
                "amount": round_fen(Decimal(totals["amount"] or 0)),
                "sales": sales.count(),
                "closing": ins_before - outs_before + ins_day - outs_day,
            }
        )
    by_slot = []
    from baogong.fleet.choices import ShiftSlot

    for slot, label in ShiftSlot.choices:
        sales = FuelSale.objects.filter(tank__station=station, sold_at__gte=start, sold_at__lt=end, slot=slot)
        agg = sales.aggregate(litres=Sum("litres"), amount=Sum("amount"))
        by_slot.append(
            {
                "slot": slot,
                "label": label,
                "attendants": list(
                    FuelShift.objects.filter(station=station, date=on_date, slot=slot).values_list(
                        "attendant", flat=True
                    )
                ),
                "litres": agg["litres"] or 0,
                "amount": round_fen(Decimal(agg["amount"] or 0)),
            }
        )
    return {"station": station, "date": on_date, "tanks": rows, "slots": by_slot, "gaps": roster_gaps(station, on_date)}
