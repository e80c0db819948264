"""One drill from events to the comparison, reporting progress (0–100) as it goes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from baogong.command.drills.compare import compare
from baogong.command.drills.events import DrillEvents
from baogong.command.drills.simulation import simulate
from baogong.command.drills.snapshot import take_snapshot
from baogong.core.audit import Actor

Report = Callable[[int, str], None]


def run(events: DrillEvents, *, actor: Actor, report: Report | None = None) -> dict[str, Any]:
    """Snapshot (events applied and rolled back), baseline, drill, comparison. Writes nothing."""

    def say(pct: float, message: str) -> None:
        if report is not None:
            report(int(pct), message)

    say(0, "snapshot")
    snapshot = take_snapshot(events, actor=actor)
    say(10, "baseline")
    cache: dict[Any, Any] = {}
    baseline = simulate(snapshot, drill=False, cache=cache, progress=lambda f: say(10 + 45 * f, "baseline"))
    drill = simulate(snapshot, drill=True, cache=cache, progress=lambda f: say(55 + 40 * f, "drill"))
    result = compare(snapshot, baseline, drill)
    say(100, "done")
    return result
