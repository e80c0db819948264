"""Vehicle routing with PyVRP: the VRPLIB benchmark contract and the dispatch-day planning core.

Two entry points, both on plain data (no database):

* :func:`solve_vrplib` (``instances.py``) reads a VRPLIB instance (CVRP or VRPTW), solves it and
  answers ``{"cost": C, "routes": [[...], ...]}`` where routes list the instance's node numbers as
  its ``.sol`` files do (depot = 0, customers 1..n, depot excluded from the route lists) and the
  cost follows the instance's convention: EUC_2D rounded to the nearest integer, EXPLICIT as given,
  VRPTW (DIMACS) distances truncated to one decimal. The cost is recomputed from the routes by
  :func:`vrplib_route_cost`, independently of the solver.
* :func:`plan_routes` (``plans.py``) plans a dispatch day: multi-depot, capacities in three
  dimensions (kg, litres of volume, cases), receiving windows, service times and shift length.
  Distances are great-circle × detour factor (or an OSRM-compatible table service), times =
  distance / speed. :func:`evaluate_route` recomputes km, ETAs, load and feasibility of any stop
  order — the dispatcher's "move a stop and see the effect".
"""

from baogong.fleet.routing.instances import (
    CONVENTION_DIMACS,
    CONVENTION_EXPLICIT,
    CONVENTION_ROUND,
    VrplibParams,
    best_of,
    default_workers,
    read_vrplib_solution,
    solve_vrplib,
    vrplib_convention,
    vrplib_params,
    vrplib_route_cost,
)
from baogong.fleet.routing.plans import (
    DIMENSIONS,
    UNASSIGNED_PRIZE,
    PlanOptions,
    PlanResult,
    RouteResult,
    Stop,
    StopVisit,
    TravelMatrix,
    Vehicle,
    build_matrix,
    evaluate_route,
    km_str,
    plan_routes,
)

__all__ = [
    "CONVENTION_DIMACS",
    "CONVENTION_EXPLICIT",
    "CONVENTION_ROUND",
    "DIMENSIONS",
    "UNASSIGNED_PRIZE",
    "PlanOptions",
    "PlanResult",
    "RouteResult",
    "Stop",
    "StopVisit",
    "TravelMatrix",
    "Vehicle",
    "VrplibParams",
    "best_of",
    "build_matrix",
    "default_workers",
    "evaluate_route",
    "km_str",
    "plan_routes",
    "read_vrplib_solution",
    "solve_vrplib",
    "vrplib_convention",
    "vrplib_params",
    "vrplib_route_cost",
]
