"""The `baogong route --vrplib` contract: routes in the instance's node numbers, cost per its convention."""

import json
import math
from io import StringIO
from pathlib import Path

import pytest
import vrplib
from django.core.management import call_command
from django.core.management.base import CommandError

from baogong.fleet.routing import (
    CONVENTION_DIMACS,
    CONVENTION_ROUND,
    best_of,
    read_vrplib_solution,
    solve_vrplib,
    vrplib_convention,
    vrplib_route_cost,
)

pytestmark = pytest.mark.clock_free  # no clock read: left out of the moved-clock pass (make test-clock)
DATA = Path(__file__).parent / "data"


def run_route(path: Path, seconds: float, seed: int = 0) -> dict:
    out = StringIO()
    call_command("route", "--vrplib", str(path), "--seconds", str(seconds), "--seed", str(seed), stdout=out)
    return json.loads(out.getvalue())


def euclid(a, b):
    return math.hypot(a[0] - b[0], a[1] - b[1])


@pytest.mark.parametrize(("name", "convention"), [("X-n101-k25", CONVENTION_ROUND), ("RC208", CONVENTION_DIMACS)])
def test_cost_of_best_known_solution_reproduces_the_sol_file(name, convention):
    # given an instance and its best-known solution
    instance = vrplib.read_instance(str(DATA / f"{name}.vrp"))
    routes, cost = read_vrplib_solution(DATA / f"{name}.sol")
    # when the routes are costed under the instance's convention
    # then the cost is the one the .sol file states
    assert vrplib_convention(instance) == convention
    assert vrplib_route_cost(instance, routes) == pytest.approx(cost, abs=1e-9)


def test_tiny_cvrp_is_solved_to_a_valid_solution_with_the_printed_cost():
    # given a 12-customer CVRP (capacity 30)
    path = DATA / "tiny-n13.vrp"
    coords = {}
    demand = {}
    section = None
    for line in path.read_text().splitlines():
        if line.endswith("SECTION"):
            section = line
            continue
        parts = line.split()
        if section == "NODE_COORD_SECTION" and len(parts) == 3:
            coords[int(parts[0]) - 1] = (float(parts[1]), float(parts[2]))
        elif section == "DEMAND_SECTION" and len(parts) == 2:
            demand[int(parts[0]) - 1] = int(parts[1])
    # when it is solved for one second
    answer = run_route(path, 1)
    # then every customer (instance nodes 2..13) is visited exactly once, the depot (1) never listed
    visited = [node for route in answer["routes"] for node in route]
    assert sorted(visited) == list(range(2, 14))
    answer["routes"] = [[n - 1 for n in r] for r in answer["routes"]]  # to 0-based indexes below
    # and every route respects the capacity
    for route in answer["routes"]:
        assert sum(demand[n] for n in route) <= 30
    # and the printed cost equals the cost recomputed here from coordinates (EUC_2D, rounded)
    recomputed = 0
    for route in answer["routes"]:
        path_nodes = [0, *route, 0]
        recomputed += sum(round(euclid(coords[a], coords[b])) for a, b in zip(path_nodes, path_nodes[1:]))
    assert answer["cost"] == recomputed
    # and the total demand (82) needs at least three routes
    assert len(answer["routes"]) >= 3


def test_vrptw_solution_respects_windows_and_capacity_with_dimacs_cost():
    # given the Solomon RC208 instance (100 customers, time windows, capacity 1000)
    path = DATA / "RC208.vrp"
    instance = vrplib.read_instance(str(path))
    # when solved for one second
    answer = run_route(path, 1)
    visited = sorted(n for r in answer["routes"] for n in r)
    assert visited == list(range(2, 102))  # the instance's node numbers; the depot is node 1
    answer["routes"] = [[n - 1 for n in r] for r in answer["routes"]]
    coords = instance["node_coord"]
    tw = instance["time_window"]
    service = instance["service_time"]

    def dimacs(a, b):
        return math.floor(euclid(coords[a], coords[b]) * 10 + 1e-9) / 10

    total = 0.0
    for route in answer["routes"]:
        assert sum(instance["demand"][n] for n in route) <= instance["capacity"]
        clock = 0.0
        prev = 0
        for node in route:
            clock = max(clock + dimacs(prev, node), tw[node][0])
            assert clock <= tw[node][1] + 1e-6, f"late at {node}"
            clock += service[node] if hasattr(service, "__len__") else service
            total += dimacs(prev, node)
            prev = node
        total += dimacs(prev, 0)
        assert clock + dimacs(prev, 0) <= tw[0][1] + 1e-6
    # then the printed cost is the sum of one-decimal truncated distances
    assert answer["cost"] == pytest.approx(round(total, 1), abs=1e-6)
    assert answer["cost"] >= 776.1


def test_same_seed_gives_the_same_answer():
    path = DATA / "tiny-n13.vrp"
    assert run_route(path, 0.3, seed=7)["cost"] == run_route(path, 0.3, seed=7)["cost"]


def test_missing_file_is_refused():
    with pytest.raises(CommandError, match="no such file"):
        run_route(DATA / "nope.vrp", 1)


def test_the_best_search_wins_feasible_first():
    instance = vrplib.read_instance(str(DATA / "tiny-n13.vrp"))
    short, long = [[1, 2, 3]], [[1, 3, 2]]
    assert vrplib_route_cost(instance, short) != vrplib_route_cost(instance, long)
    cheap, dear = sorted([short, long], key=lambda r: vrplib_route_cost(instance, r))
    # the cheaper feasible answer wins whatever the order
    assert best_of(instance, [(True, 0, dear), (True, 0, cheap)]) == cheap
    assert best_of(instance, [(True, 0, cheap), (True, 0, dear)]) == cheap
    # a feasible answer beats an infeasible one even when that one is cheaper
    assert best_of(instance, [(False, 1.0, cheap), (True, 9e9, dear)]) == dear
    # among infeasible ones, the lowest penalised cost
    assert best_of(instance, [(False, 5.0, cheap), (False, 2.0, dear)]) == dear


def test_parallel_searches_answer_a_valid_solution_with_its_cost():
    # given the tiny CVRP solved by two searches side by side (forked processes)
    path = DATA / "tiny-n13.vrp"
    instance = vrplib.read_instance(str(path))
    answer = solve_vrplib(path, 0.5, seed=3, workers=2)
    # then every customer is visited once and the printed cost is the cost of the routes
    visited = sorted(v for route in answer["routes"] for v in route)
    assert visited == list(range(2, len(instance["demand"]) + 1))
    internal = [[v - 1 for v in route] for route in answer["routes"]]
    assert answer["cost"] == vrplib_route_cost(instance, internal)


def test_workers_must_be_positive():
    out = StringIO()
    with pytest.raises(CommandError, match="workers"):
        call_command("route", "--vrplib", str(DATA / "tiny-n13.vrp"), "--seconds", "1", "--workers", "0", stdout=out)
