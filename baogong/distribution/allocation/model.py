"""The allocation problem and answer: warehouses, requests, lines, results (no database)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

Ident = str | int

BASIS_FULL = "full"  # the line's tier was served in full
BASIS_PRO_RATA = "pro_rata"  # the line is in the tier that exhausted supply
BASIS_SHORTAGE = "after_shortage"  # a higher-priority tier used up all stock
BASIS_NO_STOCK = "no_stock"  # the chosen warehouses hold none of the item


class ProblemError(ValueError):
    """The problem is malformed. ``errors`` lists every problem as ``"path: message"``."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True)
class Warehouse:
    id: Ident
    lat: float
    lon: float
    stock: Mapping[str, int]


class Line(NamedTuple):
    item: str
    qty: int


@dataclass(frozen=True)
class Request:
    id: Ident
    tier: int
    lat: float
    lon: float
    needed_by: date | None
    submitted_at: datetime | None
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Problem:
    warehouses: tuple[Warehouse, ...]
    requests: tuple[Request, ...]


@dataclass(init=False)
class LineResult:
    """What one request line gets and why.

    The constructor sets the six identifying fields (and a fresh ``sources`` list); the others
    read their class defaults until the engine sets them (a tenth of the solve time otherwise).
    """

    request_index: int
    line_index: int
    request: Ident
    item: str
    requested: int
    tier: int
    qty: int = 0
    basis: str = BASIS_NO_STOCK
    available: int = 0  # A: units left for the line's tier when it was served
    tier_total: int = 0  # D: the tier's total claim
    share: int = 0  # floor(q*A/D) (or q when served in full)
    remainder: int = 0  # q*A mod D
    rank: int | None = None  # position in the largest-remainder order (pro-rata tier only)
    extra_unit: bool = False  # received one of the leftover units
    sources: list[tuple[Ident, int]] = field(default_factory=list)
    cost_km: float = 0.0  # sum of units x km for this line

    def __init__(self, request_index: int, line_index: int, request: Ident, item: str, requested: int, tier: int):
        self.request_index = request_index
        self.line_index = line_index
        self.request = request
        self.item = item
        self.requested = requested
        self.tier = tier
        self.sources = []


@dataclass
class Allocation:
    lines: list[LineResult]

    @property
    def total_cost(self) -> float:
        return sum(r.cost_km for r in self.lines)


# --------------------------------------------------------------------------- parsing
