"""Move the clock of a whole test run, to prove the suite passes on any date and at any hour.

``BAOGONG_TEST_CLOCK`` names where the clock should stand when the run starts:

- ``+1y`` / ``-1y``, ``+30d``, ``-12h``: a shift from the real clock;
- ``23:59``: today's (or, when already past, tomorrow's) 23:59 in Asia/Shanghai;
- an ISO date-time with offset, ``2027-12-05T23:59:00+08:00``;
- a shift then an hour, ``+1y@23:59``: the next 23:59 in Asia/Shanghai a year from now (one run
  proves both the other year and the midnight; ``make test-clock`` runs it so).

The first process to read it turns it into ``BAOGONG_CLOCK_OFFSET`` (seconds from the real clock)
and puts that in its environment, so every child process (the crash and backup tests start real
``baogong`` processes) keeps the same clock. The clock keeps ticking. Production refuses both.
Used by ``settings.py`` only; nothing else in the code knows the clock was moved.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_SHIFT = re.compile(r"^([+-])(\d+)([ydhm])$")
_UNITS = {"y": 365 * 86400, "d": 86400, "h": 3600, "m": 60}
_started: Any = None


def offset_seconds(spec: str, now: dt.datetime | None = None) -> float:
    """Seconds to add to ``now`` (the real clock, aware) so that it stands where ``spec`` says."""
    now = now or dt.datetime.now(dt.UTC)
    spec = spec.strip()
    if "@" in spec:
        shift, _, hour = spec.partition("@")
        if _SHIFT.match(shift.strip()) and re.match(r"^\d{1,2}:\d{2}$", hour.strip()):
            moved = offset_seconds(shift, now)
            return moved + offset_seconds(hour, now + dt.timedelta(seconds=moved))
    if match := _SHIFT.match(spec):
        sign, amount, unit = match.groups()
        return (1 if sign == "+" else -1) * int(amount) * _UNITS[unit]
    if match := re.match(r"^(\d{1,2}):(\d{2})$", spec):
        local = now.astimezone(SHANGHAI)
        target = local.replace(hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0)
        if target < local:
            target += dt.timedelta(days=1)
        return (target - local).total_seconds()
    try:
        target = dt.datetime.fromisoformat(spec)
    except ValueError:
        raise ValueError(f"BAOGONG_TEST_CLOCK={spec!r}: use +1y, -30d, 23:59, +1y@23:59 or an ISO date-time") from None
    if target.tzinfo is None:
        target = target.replace(tzinfo=SHANGHAI)
    return (target - now).total_seconds()


def start_from_environment(production: bool) -> float | None:
    """Start the moved clock if the environment asks for it; answer the offset in seconds."""
    global _started
    spec = os.environ.get("BAOGONG_TEST_CLOCK")
    offset = os.environ.get("BAOGONG_CLOCK_OFFSET")
    if not spec and not offset:
        return None
    if production:
        raise RuntimeError("BAOGONG_TEST_CLOCK / BAOGONG_CLOCK_OFFSET are for tests; production refuses them")
    seconds = float(offset) if offset else offset_seconds(spec or "")
    os.environ["BAOGONG_CLOCK_OFFSET"] = repr(seconds)
    if _started is None:
        import time_machine

        _started = time_machine.travel(dt.timedelta(seconds=seconds), tick=True)
        _started.start()
    return seconds
