"""The fleet's daily jobs (run by ``baogong worker`` and ``baogong run-scheduled``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from baogong.core.audit import SystemActor
from baogong.core.schedule import DailyJob


def pass_expiry_alerts(on_date: dt.date) -> dict[str, Any]:
    """Notify the fleets of passes that end within three days of ``on_date`` (once per pass)."""
    from baogong.fleet.actions import send_pass_expiry_alerts

    sent = send_pass_expiry_alerts(on_date, actor=SystemActor("scheduler"))
    return {"passes": [p.number for p in sent]}


def low_tank_alerts(on_date: dt.date) -> dict[str, Any]:
    """Notify the stations of tanks at or below their low level (once until refilled)."""
    from baogong.fleet.actions import send_low_tank_alerts

    sent = send_low_tank_alerts(actor=SystemActor("scheduler"))
    return {"tanks": [f"{t.station.code}/{t.code}" for t in sent]}


DAILY_JOBS = [
    DailyJob("fleet.pass_expiry_alerts", pass_expiry_alerts, at=dt.time(6, 0)),
    DailyJob("fleet.low_tank_alerts", low_tank_alerts, at=dt.time(6, 0)),
]
