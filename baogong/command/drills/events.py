"""The events of a drill and their validation (field-level errors, nothing run)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from baogong.command.errors import DrillInvalid
from baogong.inventory.models import Lot
from baogong.orgs.choices import SiteKind
from baogong.orgs.models import AdministrativeArea, Site

MAX_DAYS = 60
MAX_SURGE_PCT = 1000

__all__ = ["MAX_DAYS", "DrillEvents", "DrillInvalid", "EventSpan", "parse_events"]


@dataclass(frozen=True)
class EventSpan:
    start: dt.date
    days: int

    @property
    def end(self) -> dt.date:
        """The last day of the window (inclusive)."""
        return self.start + dt.timedelta(days=self.days - 1)

    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]


@dataclass(frozen=True)
class DrillEvents:
    """What happens during the window: every event lasts the whole window."""

    window: EventSpan
    seed: int = 1
    lockdown: tuple[str, ...] = ()  # warehouse codes locked down
    blacklist: tuple[str, ...] = ()  # supplier USCC or name: its lots are recalled
    fleet_cut_pct: int = 0  # vehicles out of service (chosen with the seed)
    road_closure_pct: int = 0  # extra detour on every road (distances × (1 + pct/100))
    surge_area: str = ""  # street/town code (its recipients and those of its sub-areas)
    surge_pct: int = 0
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_empty(self) -> bool:
        return not (self.lockdown or self.blacklist or self.fleet_cut_pct or self.road_closure_pct or self.surge_pct)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("notes")
        data["window"] = {"from": self.window.start.isoformat(), "days": self.window.days}
        data["lockdown"] = list(self.lockdown)
        data["blacklist"] = list(self.blacklist)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DrillEvents:
        window = data["window"]
        return cls(
            window=EventSpan(dt.date.fromisoformat(window["from"]), int(window["days"])),
            seed=int(data.get("seed", 1)),
            lockdown=tuple(data.get("lockdown", ())),
            blacklist=tuple(data.get("blacklist", ())),
            fleet_cut_pct=int(data.get("fleet_cut_pct", 0)),
            road_closure_pct=int(data.get("road_closure_pct", 0)),
            surge_area=str(data.get("surge_area", "")),
            surge_pct=int(data.get("surge_pct", 0)),
        )


def _int(value: Any, key: str, low: int, high: int, errors: dict[str, list[str]]) -> int:
    if value in (None, ""):
        return 0 if low <= 0 else low
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.setdefault(key, []).append(_("Enter a whole number."))
        return low
    if not low <= number <= high:
        errors.setdefault(key, []).append(_("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high})
    return number


def _codes(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    items = value if isinstance(value, list | tuple) else str(value).replace("，", ",").split(",")
    return tuple(sorted({str(v).strip() for v in items if str(v).strip()}))


def parse_events(data: Mapping[str, Any]) -> DrillEvents:
    """Validate raw input (form, CLI or saved parameters) into events; DrillInvalid names each field.

    Keys: ``from`` (date or ISO text), ``days``, ``seed``, ``lockdown`` (codes), ``blacklist``
    (supplier USCCs or names), ``fleet_cut_pct``, ``road_closure_pct``, ``surge_area``, ``surge_pct``."""
    errors: dict[str, list[str]] = {}
    start = data.get("from")
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start.strip())
        except ValueError:
            errors["from"] = [_("Enter a date as YYYY-MM-DD.")]
            start = None
    if not isinstance(start, dt.date) and "from" not in errors:
        errors["from"] = [_("Enter the first day of the drill.")]
    days = _int(data.get("days"), "days", 1, MAX_DAYS, errors)
    seed = _int(data.get("seed", 1) if data.get("seed") not in (None, "") else 1, "seed", 0, 2**31 - 1, errors)
    lockdown = _codes(data.get("lockdown"))
    warehouses = dict(
        Site.objects.filter(code__in=lockdown, kind=SiteKind.WAREHOUSE, is_active=True).values_list("code", "pk")
    )
    for code in lockdown:
        if code not in warehouses:
            errors.setdefault("lockdown", []).append(_("%(code)s is not an active warehouse.") % {"code": code})
    blacklist = _codes(data.get("blacklist"))
    for supplier in blacklist:
        if not Lot.objects.filter(Q(supplier_ref=supplier) | Q(supplier_name=supplier)).exists():
            errors.setdefault("blacklist", []).append(
                _("No lot in stock came from %(supplier)s.") % {"supplier": supplier}
            )
    fleet_cut = _int(data.get("fleet_cut_pct"), "fleet_cut_pct", 0, 100, errors)
    road = _int(data.get("road_closure_pct"), "road_closure_pct", 0, 500, errors)
    surge_area = str(data.get("surge_area") or "").strip()
    surge = _int(data.get("surge_pct"), "surge_pct", 0, MAX_SURGE_PCT, errors)
    if surge_area and not AdministrativeArea.objects.filter(code=surge_area).exists():
        errors["surge_area"] = [_("No street or town has this code.")]
    if surge and not surge_area:
        errors.setdefault("surge_area", []).append(_("Choose the area of the demand surge."))
    if not (lockdown or blacklist or fleet_cut or road or surge) and not errors:
        errors["__all__"] = [_("Choose at least one event.")]
    if errors:
        raise DrillInvalid(details=errors)
    assert isinstance(start, dt.date)
    return DrillEvents(
        window=EventSpan(start, days),
        seed=seed,
        lockdown=lockdown,
        blacklist=blacklist,
        fleet_cut_pct=fleet_cut,
        road_closure_pct=road,
        surge_area=surge_area if surge else "",
        surge_pct=surge,
    )
