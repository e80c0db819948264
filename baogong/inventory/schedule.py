"""The inventory's daily jobs (run by ``baogong worker`` and ``baogong run-scheduled``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from baogong.core.audit import SystemActor
from baogong.core.schedule import DailyJob


def expiry_alerts(on_date: dt.date) -> dict[str, Any]:
    """Tell each site of lots that entered the 30-day, 7-day or expired band (once per lot and band)."""
    from baogong.inventory.actions import send_expiry_alerts

    sent = send_expiry_alerts(on_date, actor=SystemActor("scheduler"))
    return {"sites": [s["site"] for s in sent], "lots": sum(len(s["lots"]) for s in sent)}


DAILY_JOBS = [DailyJob("inventory.expiry_alerts", expiry_alerts, at=dt.time(6, 0))]
