"""The VRPLIB benchmark contract: read an instance, solve it with PyVRP (one search per core),
answer the routes and the cost in the instance's own convention."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyvrp
import vrplib

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


def _search_into(seed: int, writer: Any) -> None:
    try:
        writer.send(_forked_search(seed))
    finally:
        writer.close()


def _forked_searches(seeds: Sequence[int], *, wait: float) -> list[tuple[bool, float, list[list[int]]]]:
    """One forked process per seed, each answering through its own pipe; the answers that arrive
    within ``wait`` seconds. A process that has not answered by then (or died) is killed and left
    out. (A process pool could wait forever: a worker that died holding the pool's queue lock left
    the other blocked, and the pool's clean-up waited on it — seen once in about ten suite runs.)"""
    import multiprocessing  # noqa: PLC0415

    context = multiprocessing.get_context("fork")
    running = []
    for seed in seeds:
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(target=_search_into, args=(seed, writer), daemon=True)
        process.start()
        writer.close()
        running.append((process, reader))
    results = []
    limit = time.monotonic() + wait
    for process, reader in running:
        try:
            if reader.poll(max(0.0, limit - time.monotonic())):
                results.append(reader.recv())
        except (EOFError, OSError):
            pass  # the process died without answering
        finally:
            reader.close()
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()
    return results


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
        _FORK_JOB.update(data=data, params=params, started=started, seconds=seconds, clock=clock)
        try:
            results = _forked_searches([seed + i for i in range(workers)], wait=2 * seconds + 30)
        finally:
            _FORK_JOB.clear()
        if not results:  # every search process died: search here rather than answer nothing
            results = [_search_vrplib(data, params, seed, started, seconds, clock)]
    routes = best_of(instance, results)
    # Answer in the instance's own node numbers (NODE_COORD_SECTION ids: the depot is 1, the
    # customers 2..n+1), as DESIGN.md's contract says; internally the depot is index 0.
    return {"cost": vrplib_route_cost(instance, routes), "routes": [[v + 1 for v in r] for r in routes]}


# ---------------------------------------------------------------------------------------------
# Dispatch-day planning core (plain data)
# ---------------------------------------------------------------------------------------------
