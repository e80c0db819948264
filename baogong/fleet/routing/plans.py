"""Planning a dispatch day: multi-depot, three capacity dimensions, receiving windows, service
times, shift length; and the evaluation of any stop order."""

from __future__ import annotations

import json
import math
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

import pyvrp
from pyvrp.stop import MaxIterations, MaxRuntime

from baogong.core.geo import haversine_km

DIMENSIONS = ("kg", "litres", "cases")
UNASSIGNED_PRIZE = 10**7  # metres (10,000 km): leaving a stop out costs more than any route


@dataclass(frozen=True)
class Stop:
    key: str
    lat: float
    lon: float
    demand: tuple[int, int, int] = (0, 0, 0)  # kg, litres (m³ × 1000), cases
    window: tuple[int, int] | None = None  # receiving window in minutes after midnight
    service_minutes: int = 10
    label: str = ""
    depot_key: str | None = None  # goods loaded at this depot only (a shipment's warehouse)


@dataclass(frozen=True)
class Vehicle:
    key: str
    depot_key: str
    depot_lat: float
    depot_lon: float
    capacity: tuple[int, int, int]  # kg, litres, cases (0 = not limited in that dimension)
    shift_start: int = 8 * 60  # minutes after midnight
    shift_minutes: int = 10 * 60
    label: str = ""


@dataclass(frozen=True)
class PlanOptions:
    detour_factor: float = 1.3
    speed_kmh: float = 30.0
    seconds: float = 10.0
    seed: int = 0
    osrm_url: str = ""
    # > 0: stop after this many iterations instead of ``seconds`` (the same answer on any machine
    # for a seed: drills must be reproducible).
    max_iterations: int = 0


@dataclass
class StopVisit:
    key: str
    arrival: int  # minutes after midnight
    start: int  # service start (after waiting for the window)
    departure: int
    km_from_previous: float
    load_after: tuple[int, int, int]
    late_minutes: int = 0


@dataclass
class RouteResult:
    vehicle_key: str
    visits: list[StopVisit]
    km: float
    start: int
    end: int
    load: tuple[int, int, int]
    problems: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.problems


@dataclass
class PlanResult:
    routes: list[RouteResult]
    unassigned: list[str]
    km: float
    seconds: float

    @property
    def feasible(self) -> bool:
        return not self.unassigned and all(r.feasible for r in self.routes)

    @classmethod
    def timed(cls, routes: list[RouteResult], unassigned: list[str], started: float) -> PlanResult:
        """The plan of these routes, its length summed and its time counted from ``started``."""
        km = round(sum(r.km for r in routes), 3)
        return cls(routes=routes, unassigned=unassigned, km=km, seconds=round(time.perf_counter() - started, 2))


class TravelMatrix:
    """Distances (metres) and durations (seconds) between points; index 0..n-1."""

    def __init__(self, metres: list[list[int]], seconds: list[list[int]]) -> None:
        self.metres = metres
        self.seconds = seconds

    @classmethod
    def great_circle(
        cls, points: Sequence[tuple[float, float]], detour_factor: float, speed_kmh: float
    ) -> TravelMatrix:
        n = len(points)
        metres = [[0] * n for _ in range(n)]
        secs = [[0] * n for _ in range(n)]
        for i, (lat1, lon1) in enumerate(points):
            for j in range(i + 1, n):
                lat2, lon2 = points[j]
                km = haversine_km(lat1, lon1, lat2, lon2) * detour_factor
                metres[i][j] = metres[j][i] = round(km * 1000)
                secs[i][j] = secs[j][i] = round(km / speed_kmh * 3600)
        return cls(metres, secs)

    @classmethod
    def osrm(cls, base_url: str, points: Sequence[tuple[float, float]], timeout: float = 30.0) -> TravelMatrix:
        """Ask an OSRM-compatible ``/table/v1/driving/`` service for distances and durations."""
        coords = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
        url = f"{base_url.rstrip('/')}/table/v1/driving/{coords}?annotations=distance,duration"
        if not url.startswith(("http://", "https://")):
            raise ValueError("OSRM URL must be http(s)")
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
            body = json.loads(response.read().decode("utf-8"))
        if body.get("code") != "Ok":
            raise ValueError(f"OSRM answered {body.get('code')}: {body.get('message', '')}")
        metres = [[round(v or 0) for v in row] for row in body["distances"]]
        secs = [[round(v or 0) for v in row] for row in body["durations"]]
        return cls(metres, secs)


def _points(stops: Sequence[Stop], vehicles: Sequence[Vehicle]) -> tuple[list[tuple[float, float]], dict[str, int]]:
    """Depots first (one point per depot key), then stops in order."""
    points: list[tuple[float, float]] = []
    depot_index: dict[str, int] = {}
    for v in vehicles:
        if v.depot_key not in depot_index:
            depot_index[v.depot_key] = len(points)
            points.append((v.depot_lat, v.depot_lon))
    points.extend((s.lat, s.lon) for s in stops)
    return points, depot_index


def build_matrix(points: Sequence[tuple[float, float]], options: PlanOptions) -> TravelMatrix:
    if options.osrm_url:
        return TravelMatrix.osrm(options.osrm_url, points)
    return TravelMatrix.great_circle(points, options.detour_factor, options.speed_kmh)


class _ProgressStop:
    """MaxRuntime (or MaxIterations) that also reports elapsed-time progress (0–100) at most once a
    second."""

    def __init__(self, seconds: float, progress: Callable[[int], None] | None, iterations: int = 0) -> None:
        self.inner: MaxRuntime | MaxIterations = MaxIterations(iterations) if iterations > 0 else MaxRuntime(seconds)
        self.seconds = seconds
        self.progress = progress
        self.started = time.perf_counter()
        self.last = 0.0

    def __call__(self, best_cost: float) -> bool:
        done = bool(self.inner(best_cost))  # type: ignore[arg-type]
        now = time.perf_counter()
        if self.progress is not None and now - self.last >= 1.0:
            self.last = now
            self.progress(min(99, int(100 * (now - self.started) / max(self.seconds, 1e-6))))
        return done


def _fits(demand: tuple[int, int, int], capacity: tuple[int, int, int]) -> bool:
    return all(c <= 0 or d <= c for d, c in zip(demand, capacity, strict=True))


def _capacity(values: tuple[int, int, int]) -> list[int]:
    big = 2**40
    return [v if v > 0 else big for v in values]


def plan_routes(
    stops: Sequence[Stop],
    vehicles: Sequence[Vehicle],
    options: PlanOptions = PlanOptions(),  # noqa: B008 (frozen dataclass)
    progress: Callable[[int], None] | None = None,
) -> PlanResult:
    """Assign stops to vehicles and order them; stops no vehicle can serve are ``unassigned``.

    When stops name the depot their goods are loaded at (``depot_key``), each depot's vehicles are
    planned separately for its stops (stops without a depot join the nearest depot); the time
    limit is shared in proportion to the number of stops."""
    if any(s.depot_key for s in stops):
        return _plan_by_depot(stops, vehicles, options, progress)
    return _plan(stops, vehicles, options, progress)


def _plan_by_depot(
    stops: Sequence[Stop],
    vehicles: Sequence[Vehicle],
    options: PlanOptions,
    progress: Callable[[int], None] | None,
) -> PlanResult:
    started = time.perf_counter()
    depots = {v.depot_key: (v.depot_lat, v.depot_lon) for v in vehicles}
    groups: dict[str, list[Stop]] = {}
    unassigned: list[str] = []
    for stop in stops:
        key = stop.depot_key
        if key is None and depots:
            key = min(depots, key=lambda d: haversine_km(stop.lat, stop.lon, *depots[d]))
        if key not in depots:
            unassigned.append(stop.key)
            continue
        groups.setdefault(str(key), []).append(stop)
    routes: list[RouteResult] = []
    total = max(1, sum(len(g) for g in groups.values()))
    for key, group in groups.items():
        share = max(1.0, options.seconds * len(group) / total)
        sub = _plan(group, [v for v in vehicles if v.depot_key == key], replace(options, seconds=share), progress)
        routes.extend(sub.routes)
        unassigned.extend(sub.unassigned)
    order = [v.key for v in vehicles]
    routes.sort(key=lambda r: order.index(r.vehicle_key))
    return PlanResult.timed(routes, unassigned, started)


def _plan(
    stops: Sequence[Stop],
    vehicles: Sequence[Vehicle],
    options: PlanOptions,
    progress: Callable[[int], None] | None,
) -> PlanResult:
    started = time.perf_counter()
    if not vehicles:
        return PlanResult([], [s.key for s in stops], 0.0, 0.0)
    too_big = [s for s in stops if not any(_fits(s.demand, v.capacity) for v in vehicles)]
    stops = [s for s in stops if s not in too_big]
    if not stops:
        return PlanResult([], [s.key for s in too_big], 0.0, round(time.perf_counter() - started, 2))
    points, depot_index = _points(stops, vehicles)
    matrix = build_matrix(points, options)
    model = pyvrp.Model()
    locations = [model.add_location(x=round(lon * 1e5), y=round(lat * 1e5)) for lat, lon in points]
    depots = {key: model.add_depot(locations[idx], name=key) for key, idx in depot_index.items()}
    n_depots = len(depot_index)
    for offset, stop in enumerate(stops):
        early, late = (stop.window[0] * 60, stop.window[1] * 60) if stop.window else (0, 48 * 3600)
        model.add_client(
            locations[n_depots + offset],
            delivery=list(stop.demand),
            service_duration=stop.service_minutes * 60,
            tw_early=early,
            tw_late=late,
            prize=UNASSIGNED_PRIZE,
            required=False,
            name=stop.key,
        )
    for v in vehicles:
        depot = depots[v.depot_key]
        model.add_vehicle_type(
            1,
            capacity=_capacity(v.capacity),
            start_depot=depot,
            end_depot=depot,
            tw_early=v.shift_start * 60,
            tw_late=(v.shift_start + v.shift_minutes) * 60,
            shift_duration=v.shift_minutes * 60,
            name=v.key,
        )
    for i, frm in enumerate(locations):
        for j, to in enumerate(locations):
            model.add_edge(frm, to, distance=matrix.metres[i][j], duration=matrix.seconds[i][j])
    stop_criterion = _ProgressStop(options.seconds, progress, options.max_iterations)
    result = model.solve(stop=stop_criterion, seed=options.seed, display=False)
    data = model.data()
    vehicle_types = data.vehicle_types()
    by_key = {s.key: s for s in stops}
    served: set[str] = set()
    routes: list[RouteResult] = []
    clients = data.clients()
    for route in result.best.routes():
        vkey = vehicle_types[route.vehicle_type()].name
        order = [clients[a.idx].name for a in route.schedule() if a.is_client()]
        served.update(order)
        vehicle = next(v for v in vehicles if v.key == vkey)
        routes.append(evaluate_route(vehicle, [by_key[k] for k in order], options, matrix=(matrix, points)))
    routes.sort(key=lambda r: [v.key for v in vehicles].index(r.vehicle_key))
    unassigned = [s.key for s in too_big] + [s.key for s in stops if s.key not in served]
    return PlanResult.timed(routes, unassigned, started)


def evaluate_route(
    vehicle: Vehicle,
    stops: Sequence[Stop],
    options: PlanOptions = PlanOptions(),  # noqa: B008 (frozen dataclass)
    matrix: tuple[TravelMatrix, list[tuple[float, float]]] | None = None,
) -> RouteResult:
    """km, ETAs, load and problems (over capacity, late, over shift) of ``stops`` in this order."""
    if matrix is None:
        pts = [(vehicle.depot_lat, vehicle.depot_lon), *((s.lat, s.lon) for s in stops)]
        travel = build_matrix(pts, options)
        index = list(range(len(pts)))
    else:
        travel, all_points = matrix
        lookup = {p: i for i, p in reversed(list(enumerate(all_points)))}
        index = [lookup[(vehicle.depot_lat, vehicle.depot_lon)], *(lookup[(s.lat, s.lon)] for s in stops)]
    load = tuple(sum(s.demand[d] for s in stops) for d in range(3))
    problems: list[str] = []
    for dim, (used, cap) in enumerate(zip(load, vehicle.capacity, strict=True)):
        if cap > 0 and used > cap:
            problems.append(f"over capacity: {used} > {cap} {DIMENSIONS[dim]}")
    clock = vehicle.shift_start * 60  # seconds
    if stops and stops[0].window:
        # Leave the depot late enough not to wait at the first stop (as the solver does).
        clock = max(clock, stops[0].window[0] * 60 - travel.seconds[index[0]][index[1]])
    departed = clock
    metres = 0
    visits: list[StopVisit] = []
    remaining = list(load)
    prev = index[0]
    for stop, idx in zip(stops, index[1:], strict=True):
        leg = travel.metres[prev][idx]
        metres += leg
        clock += travel.seconds[prev][idx]
        arrival = clock
        start = arrival
        late = 0
        if stop.window:
            start = max(arrival, stop.window[0] * 60)
            late = max(0, arrival - stop.window[1] * 60)
            if late:
                problems.append(f"late at {stop.key}: {math.ceil(late / 60)} min after the window")
        clock = start + stop.service_minutes * 60
        remaining = [r - d for r, d in zip(remaining, stop.demand, strict=True)]
        visits.append(
            StopVisit(
                key=stop.key,
                arrival=arrival // 60,
                start=start // 60,
                departure=clock // 60,
                km_from_previous=round(leg / 1000, 3),
                load_after=(remaining[0], remaining[1], remaining[2]),
                late_minutes=math.ceil(late / 60),
            )
        )
        prev = idx
    metres += travel.metres[prev][index[0]]
    clock += travel.seconds[prev][index[0]]
    end = math.ceil(clock / 60)
    worked = math.ceil((clock - departed) / 60)
    if worked > vehicle.shift_minutes or end > vehicle.shift_start + vehicle.shift_minutes:
        problems.append(f"over shift: back at {end // 60:02d}:{end % 60:02d}, {worked} > {vehicle.shift_minutes} min")
    return RouteResult(
        vehicle_key=vehicle.key,
        visits=visits,
        km=float(Decimal(metres) / 1000),
        start=departed // 60,
        end=end,
        load=(load[0], load[1], load[2]),
        problems=problems,
    )


def km_str(km: float) -> str:
    return str(Decimal(str(km)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
