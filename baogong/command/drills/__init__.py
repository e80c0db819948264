"""Drills (应急推演): rehearse a lockdown, a supplier blacklist, a fleet cut, a road closure or a
demand surge against a snapshot of the current data, without changing it.

``events.py`` describes the events, ``snapshot.py`` reads what the drill needs (applying the
events inside a transaction that is rolled back), ``simulation.py`` re-runs allocation (the exact
sourcing engine) and routing (PyVRP, a fixed number of iterations) day by day for the baseline and
for the drill, and ``compare.py`` puts the two side by side. :func:`run` ties them together.
"""

from baogong.command.drills.compare import compare
from baogong.command.drills.events import DrillEvents, DrillInvalid, EventSpan, parse_events
from baogong.command.drills.runner import run
from baogong.command.drills.simulation import Outcome, simulate
from baogong.command.drills.snapshot import Snapshot, take_snapshot

__all__ = [
    "DrillEvents",
    "DrillInvalid",
    "EventSpan",
    "Outcome",
    "Snapshot",
    "compare",
    "parse_events",
    "run",
    "simulate",
    "take_snapshot",
]
