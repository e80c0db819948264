"""The allocation engine: fair shares of scarce stock and minimum-distance sourcing.

Pure Python (no database). It implements exactly the policy of DESIGN.md "Allocation problem":

1. Per item, priority tiers strictly ascending; a tier is served in full before the next gets
   anything.
2. In the tier that exhausts supply each line gets ``floor(q*A/D)`` (q its quantity, A what is
   left, D the tier's total); the units still left go one each to the largest remainders
   ``q*A mod D``, ties broken by earlier ``needed_by``, then earlier ``submitted_at``, then id
   ascending. All arithmetic is on integers.
3. Sourcing per item is an exact minimum-cost transportation problem, cost = units x haversine km
   (R = 6371.0), solved as an exact min-cost flow (successive shortest paths, see ``_transport``);
   the tests check it against brute force and against HiGHS's LP optimum.

``solve(problem)`` returns an :class:`Allocation` with the per-line explanation (tier, share,
remainder, rank, sources) that the allocation-run preview shows; ``answer_json`` turns it into the
contract's answer ``{"lines": [{"request", "item", "qty", "sources": [{"warehouse", "qty"}]}]}``.
"""

from baogong.distribution.allocation.model import (
    BASIS_FULL,
    BASIS_NO_STOCK,
    BASIS_PRO_RATA,
    BASIS_SHORTAGE,
    Allocation,
    Ident,
    Line,
    LineResult,
    Problem,
    ProblemError,
    Request,
    Warehouse,
)
from baogong.distribution.allocation.parsing import _parse_checked, _parse_fast, parse_problem
from baogong.distribution.allocation.solver import allocate, answer_json, answer_text, solve
from baogong.distribution.allocation.transport import _transport

__all__ = [
    "BASIS_FULL",
    "BASIS_NO_STOCK",
    "BASIS_PRO_RATA",
    "BASIS_SHORTAGE",
    "Allocation",
    "Ident",
    "Line",
    "LineResult",
    "Problem",
    "ProblemError",
    "Request",
    "Warehouse",
    "_parse_checked",
    "_parse_fast",
    "_transport",
    "allocate",
    "answer_json",
    "answer_text",
    "parse_problem",
    "solve",
]
