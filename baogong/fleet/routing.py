"""Vehicle routing with PyVRP: the VRPLIB benchmark contract and the dispatch-day planning core.

Two entry points, both on plain data (no database):

* :func:`solve_vrplib` reads a VRPLIB instance (CVRP or VRPTW), solves it and answers
  ``{"cost": C, "routes": [[...], ...]}`` where routes list the instance's node numbers as its
  ``.sol`` files do (depot = 0, customers 1..n, depot excluded from the route lists) and the cost
  follows the instance's convention: EUC_2D rounded to the nearest integer, EXPLICIT as given,
  VRPTW (DIMACS) distances truncated to one decimal. The cost is recomputed from the routes by
  :func:`vrplib_route_cost`, independently of the solver.
* :func:`plan_routes` plans a dispatch day: multi-depot, capacities in three dimensions
  (kg, litres of volume, cases), receiving windows, service times and shift length. Distances are
  great-circle × detour factor (or an OSRM-compatible table service), times = distance / speed.
  :func:`evaluate_route` recomputes km, ETAs, load and feasibility of any stop order — the
  dispatcher's "move a stop and see the effect".
"""

from __future__ import annotations

import importlib
import json
import math
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyvrp
import vrplib
from pyvrp.stop import MaxRuntime

from baogong.core.geo import haversine_km

# ---------------------------------------------------------------------------------------------
# VRPLIB benchmark contract
# ---------------------------------------------------------------------------------------------

CONVENTION_ROUND = "round"  # EUC_2D: each edge rounded to the nearest integer
CONVENTION_DIMACS = "dimacs"  # VRPTW (Solomon / Gehring–Homberger): truncated to one decimal
CONVENTION_EXPLICIT = "explicit"  # EXPLICIT: the given weights as they are


def vrplib_convention(instance: dict[str, Any]) -> str:
    """The cost convention of a parsed VRPLIB instance (``vrplib.read_instance``)."""
    if "time_window" in instance:
        return CONVENTION_DIMACS
    if str(instance.get("edge_weight_type", "")).strip().upper() == "EXPLICIT":
        return CONVENTION_EXPLICIT
    return CONVENTION_ROUND


def _edge_matrix(instance: dict[str, Any], convention: str) -> np.ndarray:
    """Integer edge weights: units for round/explicit-integer, tenths for DIMACS, else 1/1000."""
    weights = np.asarray(instance["edge_weight"], dtype=float)
    if convention == CONVENTION_DIMACS:
        # Truncate to one decimal; the small epsilon guards against 12.3 stored as 12.29999….
        return np.floor(weights * 10 + 1e-9).astype(np.int64)
    if convention == CONVENTION_ROUND:
        return np.floor(weights + 0.5).astype(np.int64)
    if np.all(np.equal(np.mod(weights, 1), 0)):
        return weights.astype(np.int64)
    return np.round(weights * 1000).astype(np.int64)


def _cost_scale(instance: dict[str, Any], convention: str) -> int:
    if convention == CONVENTION_DIMACS:
        return 10
    if convention == CONVENTION_EXPLICIT:
        weights = np.asarray(instance["edge_weight"], dtype=float)
        return 1 if np.all(np.equal(np.mod(weights, 1), 0)) else 1000
    return 1


def _as_number(total: int, scale: int) -> int | float:
    if scale == 1:
        return int(total)
    return float(Decimal(total) / Decimal(scale))


def vrplib_route_cost(instance: dict[str, Any], routes: Sequence[Sequence[int]]) -> int | float:
    """Cost of ``routes`` (node numbers as in ``.sol`` files, depot 0 excluded) under the
    instance's convention. Each route starts and ends at the depot."""
    convention = vrplib_convention(instance)
    matrix = _edge_matrix(instance, convention)
    depot = int(np.asarray(instance.get("depot", [0])).ravel()[0])
    total = 0
    for route in routes:
        if not route:
            continue
        path = [depot, *route, depot]
        total += int(sum(matrix[a, b] for a, b in zip(path, path[1:], strict=False)))
    return _as_number(total, _cost_scale(instance, convention))


def read_vrplib_solution(path: str | Path) -> tuple[list[list[int]], float]:
    """Routes and cost of a ``.sol`` file."""
    sol = vrplib.read_solution(str(path))
    return [list(map(int, r)) for r in sol["routes"]], float(sol["cost"])


def _round_func_for(instance: dict[str, Any], convention: str) -> str | Callable[[np.ndarray], np.ndarray]:
    if convention == CONVENTION_DIMACS:
        return lambda vals: np.floor(np.asarray(vals, dtype=float) * 10 + 1e-9).astype(np.int64)
    if convention == CONVENTION_ROUND:
        return "round"
    return "none" if _cost_scale(instance, convention) == 1 else "exact"


@dataclass(frozen=True)
class VrplibParams:
    """Search settings of the benchmark solver (PyVRP's iterated local search).

    ``num_neighbours`` is the granular neighbourhood size (PyVRP's default 50); a smaller one makes
    each local-search pass cheaper, so more iterations fit in the time limit on large instances.
    """

    num_neighbours: int = 50
    history_length: int = 300
    num_iters_no_improvement: int = 150_000
    max_perturbations: int = 25


def vrplib_params(num_clients: int, has_time_windows: bool) -> VrplibParams:
    """Settings by instance size (measured in docs/benchmarks.md, routing section)."""
    if has_time_windows:
        return VrplibParams(num_neighbours=40 if num_clients > 500 else 50)
    if num_clients > 500:
        return VrplibParams(num_neighbours=30)
    return VrplibParams()


class _Deadline:
    """Stopping criterion at an absolute instant of ``clock``."""

    def __init__(self, deadline: float, clock: Callable[[], float]) -> None:
        self.deadline = deadline
        self.clock = clock

    def __call__(self, best_cost: float) -> bool:
        return self.clock() >= self.deadline


def _problem_data(instance: dict[str, Any], convention: str) -> pyvrp.ProblemData:
    """PyVRP's own VRPLIB builder on the already parsed instance (the file is read once)."""
    # ``pyvrp.read`` is also the name of the function; the module holds the private builder.
    pyvrp_read_module = importlib.import_module("pyvrp.read")
    round_func = _round_func_for(instance, convention)
    if isinstance(round_func, str):
        round_func = pyvrp_read_module.ROUND_FUNCS[round_func]
    parser = pyvrp_read_module._InstanceParser(instance, round_func)  # noqa: SLF001
    return pyvrp_read_module._ProblemDataBuilder(parser).data()  # noqa: SLF001


def _search_vrplib(
    data: pyvrp.ProblemData, params: VrplibParams, seed: int, started: float, seconds: float, clock: Callable[[], float]
) -> tuple[bool, float, list[list[int]]]:
    """One iterated local search from ``seed`` until the deadline: (feasible, penalised cost, routes
    as 0-based location indices)."""
    from pyvrp.IteratedLocalSearch import IteratedLocalSearch, IteratedLocalSearchParams  # noqa: PLC0415
    from pyvrp.PenaltyManager import PenaltyManager, PenaltyParams  # noqa: PLC0415
    from pyvrp.search import (  # noqa: PLC0415
        OPERATORS,
        LocalSearch,
        NeighbourhoodParams,
        PerturbationManager,
        PerturbationParams,
        compute_neighbours,
    )

    deadline = started + max(0.0, seconds - 0.05)
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    neighbours = compute_neighbours(data, NeighbourhoodParams(num_neighbours=params.num_neighbours))
    perturbation = PerturbationManager(PerturbationParams(max_perturbations=params.max_perturbations))
    ls = LocalSearch(data, rng, neighbours, perturbation)
    for op in OPERATORS:
        if op.supports(data):
            ls.add_operator(op(data))
    penalty = PenaltyParams()
    pm = PenaltyManager(penalty.midpoint_penalties(data), penalty)
    init = ls(pyvrp.Solution.make_random(data, rng), pm.max_cost_evaluator(), exhaustive=True)
    ils_params = IteratedLocalSearchParams(
        num_iters_no_improvement=params.num_iters_no_improvement, history_length=params.history_length
    )
    best = IteratedLocalSearch(data, pm, ls, init, ils_params).run(_Deadline(deadline, clock), collect_stats=False).best
    # An answer must be feasible: when the limit ends before the search found a feasible solution
    # (a tiny limit on a busy machine), go on a second at a time, at most the limit once more.
    overtime = started + 2 * seconds
    while not best.is_feasible() and clock() < overtime:
        search = IteratedLocalSearch(data, pm, ls, best, ils_params)
        best = search.run(_Deadline(min(clock() + 1.0, overtime), clock), collect_stats=False).best
    clients = data.clients()
    routes: list[list[int]] = []
    for route in best.routes():
        visits = [clients[act.idx].location for act in route.schedule() if act.is_client()]
        if visits:
            routes.append(visits)
    return best.is_feasible(), float(pm.max_cost_evaluator().penalised_cost(best)), routes


# Set in the parent before the search processes are forked (they inherit it, nothing is pickled).
_FORK_JOB: dict[str, Any] = {}


def _forked_search(seed: int) -> tuple[bool, float, list[list[int]]]:
    job = _FORK_JOB
    return _search_vrplib(job["data"], job["params"], seed, job["started"], job["seconds"], job["clock"])


def best_of(instance: dict[str, Any], results: Sequence[tuple[bool, float, list[list[int]]]]) -> list[list[int]]:
    """The routes of the best search: feasible before infeasible, then the lowest cost under the
    instance's convention (penalised cost among infeasible ones), then the first."""
    scored = [
        (not feasible, vrplib_route_cost(instance, routes) if feasible else penalised, i)
        for i, (feasible, penalised, routes) in enumerate(results)
    ]
    return results[min(scored)[2]][2]


def default_workers() -> int:
    """Searches run side by side by ``baogong route``: one per core (``os.sched_getaffinity``)."""
    import os  # noqa: PLC0415

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, cores)


def solve_vrplib(
    path: str | Path,
    seconds: float,
    seed: int = 0,
    started: float | None = None,
    params: VrplibParams | None = None,
    clock: Callable[[], float] = time.perf_counter,
    workers: int = 1,
) -> dict[str, Any]:
    """Solve a VRPLIB instance within ``seconds``; answer ``{"cost", "routes"}``.

    The time limit covers everything from ``started`` (``time.perf_counter()``, default: now) —
    parsing, the construction of the first solution and the search — and the search runs until the
    limit, less a small reserve for costing and printing the answer (longer only while no feasible
    solution is found, at most twice the limit). ``clock`` is wall time by default;
    the benchmark passes ``time.process_time`` to measure on CPU time when the machine is shared.

    With ``workers`` > 1 that many independent searches (seeds ``seed``, ``seed + 1``, …) run in
    forked processes, one per core, until the same deadline, and the best feasible answer wins: on
    a 2-core machine the answer of the better of two searches instead of one."""
    started = clock() if started is None else started
    instance = vrplib.read_instance(str(path))
    convention = vrplib_convention(instance)
    data = _problem_data(instance, convention)
    if params is None:
        params = vrplib_params(data.num_clients, "time_window" in instance)
    if workers <= 1:
        results = [_search_vrplib(data, params, seed, started, seconds, clock)]
    else:
        import multiprocessing  # noqa: PLC0415

        _FORK_JOB.update(data=data, params=params, started=started, seconds=seconds, clock=clock)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = pool.map(_forked_search, [seed + i for i in range(workers)])
        finally:
            _FORK_JOB.clear()
    routes = best_of(instance, results)
    # Answer in the instance's own node numbers (NODE_COORD_SECTION ids: the depot is 1, the
    # customers 2..n+1), as DESIGN.md's contract says; internally the depot is index 0.
    return {"cost": vrplib_route_cost(instance, routes), "routes": [[v + 1 for v in r] for r in routes]}


# ---------------------------------------------------------------------------------------------
# Dispatch-day planning core (plain data)
# ---------------------------------------------------------------------------------------------

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
    """MaxRuntime that also reports elapsed-time progress (0–100) at most once a second."""

    def __init__(self, seconds: float, progress: Callable[[int], None] | None) -> None:
        self.inner = MaxRuntime(seconds)
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
    return PlanResult(
        routes=routes,
        unassigned=unassigned,
        km=round(sum(r.km for r in routes), 3),
        seconds=round(time.perf_counter() - started, 2),
    )


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
    stop_criterion = _ProgressStop(options.seconds, progress)
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
    return PlanResult(
        routes=routes,
        unassigned=unassigned,
        km=round(sum(r.km for r in routes), 3),
        seconds=round(time.perf_counter() - started, 2),
    )


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
