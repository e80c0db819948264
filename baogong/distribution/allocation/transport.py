"""Minimum-distance sourcing: the exact transportation optimum as a min-cost flow (successive
shortest paths)."""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

_Distances = tuple[list[int], list[list[float]], list[list[int]]]


def _transport(
    costs: Sequence[Sequence[float]],
    demand: list[int],
    supply: list[int],
    ranked: Sequence[Sequence[int]] | None = None,
) -> list[list[int]]:
    """Exact minimum-cost transportation: flows[i][w] with sum_w = demand[i], sum_i <= supply[w].

    Successive shortest paths, one demand point at a time, on the residual network compressed
    to the warehouses: an edge a -> b means "some point j now served by b switches to a",
    costing ``c[j][a] - c[j][b]`` (one heap per pair holds the candidates). Augmenting along a
    shortest path keeps the residual network free of negative cycles, so the flow stays optimal
    for the demands served so far (the classical SSP invariant). Paths start at a warehouse with
    spare capacity (distance 0; every other distance is >= 0 by optimality, so only edges into
    full warehouses can shorten a path and only their heaps are kept, built when the warehouse
    fills up), so when the nearest warehouse has spare capacity the point is served there
    directly without a search; when every point's nearest warehouse can take all its demand,
    that is the answer. ``ranked[i]`` (optional) lists the warehouses by ascending cost for
    point i, ties by index. Requires sum(demand) <= sum(supply).
    """
    n, m = len(demand), len(supply)
    flows = [[0] * m for _ in range(n)]
    if n == 0:
        return flows
    if m == 1:
        nearest_of = [0] * n
    else:
        if ranked is None:
            ranked = [sorted(range(m), key=row.__getitem__) for row in costs]
        nearest_of = [r[0] for r in ranked]
    load = [0] * m
    for i, w in enumerate(nearest_of):
        load[w] += demand[i]
    if all(load[w] <= supply[w] for w in range(m)):
        for i, w in enumerate(nearest_of):
            flows[i][w] = demand[i]
        return flows
    residual = _Residual(costs, flows, list(supply))
    for w in range(m):
        if residual.spare[w] == 0:
            residual.fill_up(w)
    for i in _serving_order(costs, ranked, n):
        residual.serve(i, demand[i], nearest_of[i])
    return flows


def _serving_order(costs: Sequence[Sequence[float]], ranked: Sequence[Sequence[int]] | None, n: int) -> list[int]:
    """Any order keeps the flow optimal; serving the points that lose most by a second choice
    first (largest regret) makes later points rarely need to displace earlier ones."""
    if ranked is None:
        return list(range(n))
    neg_regret = [costs[i][r[0]] - costs[i][r[1]] for i, r in enumerate(ranked)]
    return sorted(range(n), key=neg_regret.__getitem__)


class _Residual:
    """The flows of :func:`_transport` and their residual network compressed to the warehouses:
    ``spare[w]`` capacity left; a full warehouse ``b`` has ``heaps[a][b]``, the points it serves
    keyed by what switching them to ``a`` costs."""

    def __init__(self, costs: Sequence[Sequence[float]], flows: list[list[int]], spare: list[int]) -> None:
        m = len(spare)
        self.costs, self.flows, self.spare, self.m = costs, flows, spare, m
        self.full = [False] * m
        self.heaps: list[list[list[tuple[float, int]]]] = [[[] for _ in range(m)] for _ in range(m)]
        self.pairs = [(a, b) for b in range(m) for a in range(m) if a != b]
        self.edges: list[list[tuple[float, int] | None]] = [[None] * m for _ in range(m)]

    def fill_up(self, b: int) -> None:
        self.full[b] = True
        costs, flows = self.costs, self.flows
        served = [j for j in range(len(flows)) if flows[j][b]]
        for a in range(self.m):
            if a != b:
                heap = [(costs[j][a] - costs[j][b], j) for j in served]
                heapq.heapify(heap)
                self.heaps[a][b] = heap

    def add_flow(self, j: int, w: int, qty: int) -> None:
        row = self.flows[j]
        if self.full[w] and row[w] == 0 and qty > 0:
            crow = self.costs[j]
            cw = crow[w]
            for a in range(self.m):
                if a != w:
                    heapq.heappush(self.heaps[a][w], (crow[a] - cw, j))
        row[w] += qty

    def serve(self, i: int, need: int, nearest: int) -> None:
        """Route point ``i``'s ``need`` along shortest augmenting paths."""
        spare, flows = self.spare, self.flows
        left = spare[nearest]
        if left:  # the nearest warehouse is not full, so it keeps no heaps yet
            if need < left:
                spare[nearest] = left - need
                flows[i][nearest] = need
                return
            spare[nearest] = 0
            flows[i][nearest] = left
            need -= left
            self.fill_up(nearest)
        row = self.costs[i]
        m = self.m
        while need:
            self._refresh_edges()
            dist, pred = self._distances()
            end = 0
            best = dist[0] + row[0]
            for w in range(1, m):
                if dist[w] + row[w] < best:
                    end, best = w, dist[w] + row[w]
            if dist[end] == math.inf:
                raise RuntimeError("transportation problem is infeasible")
            w, path = self._path_to(end, pred)
            qty = min(need, spare[w], *(flows[j][b] for _, j, b in path))
            spare[w] -= qty
            for a, j, b in path:
                flows[j][b] -= qty
                self.add_flow(j, a, qty)
            self.add_flow(i, end, qty)
            need -= qty
            if spare[w] == 0:
                self.fill_up(w)

    def _refresh_edges(self) -> None:
        """The cheapest candidate of every edge into a full warehouse (stale entries dropped)."""
        full, heaps, flows, edges = self.full, self.heaps, self.flows, self.edges
        heappop = heapq.heappop
        for a, b in self.pairs:
            if full[b]:
                heap = heaps[a][b]
                while heap and flows[heap[0][1]][b] == 0:
                    heappop(heap)
                edges[a][b] = heap[0] if heap else None

    def _distances(self) -> tuple[list[float], list[tuple[int, int] | None]]:
        """Bellman-Ford on the m warehouses from every one with spare capacity; ``pred[b]`` is
        (from warehouse, switching point)."""
        m, full, edges = self.m, self.full, self.edges
        inf = math.inf
        eps = 1e-9
        dist = [0.0 if self.spare[w] > 0 else inf for w in range(m)]
        pred: list[tuple[int, int] | None] = [None] * m
        for _ in range(m - 1):
            changed = False
            for a in range(m):
                if dist[a] == inf:
                    continue
                for b in range(m):
                    if b == a or not full[b]:
                        continue
                    edge = edges[a][b]
                    if edge is not None and dist[a] + edge[0] < dist[b] - eps:
                        dist[b] = dist[a] + edge[0]
                        pred[b] = (a, edge[1])
                        changed = True
            if not changed:
                break
        return dist, pred

    def _path_to(self, end: int, pred: list[tuple[int, int] | None]) -> tuple[int, list[tuple[int, int, int]]]:
        """The path back from ``end`` to the warehouse with spare capacity it starts at, as
        (to warehouse, point, from warehouse) steps."""
        path: list[tuple[int, int, int]] = []
        w = end
        step = pred[w]
        while step is not None:
            a, j = step
            path.append((a, j, w))
            w = a
            step = pred[w]
            if len(path) > self.m:
                raise RuntimeError("transportation search found a cycle")
        return w, path
