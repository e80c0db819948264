"""Incident playbooks (处置清单): what to do when a site has a positive case, by kind of incident.

Drawn from the lessons of the 2022 lockdown (the article in ``/work/shared/seed``): the outbreaks in
the pharmaceutical company's warehouse, the farm cooperative and the 月浦 elderly home
("暴露出管理上和意识上的松懈"), the disinfection (消杀) and closed-loop management that kept other
sites going, and the re-sourcing of supply when a warehouse went down. Pure definitions, no
database: :mod:`baogong.command.queries` merges them with the steps ticked off.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Step:
    code: str
    title: Promise
    hint: Promise


DISINFECTION = Step(
    "disinfection",
    _("Disinfection (消杀)"),
    _("Terminal disinfection of the affected site's public areas, key spots and goods' outer packaging, recorded."),
)
CONTACTS = Step(
    "contacts",
    _("Close contacts traced"),
    _("Everyone of the same shifts, rooms and closed loop listed, isolated and tested."),
)
STAFFING = Step(
    "closed_loop_staffing",
    _("Closed-loop staffing"),
    _("Stand-ins from the closed loop take over the posts of the case and the contacts; no supply post left empty."),
)
RESOURCING = Step(
    "re_sourcing",
    _("Supply re-sourced"),
    _("Open reservations and planned shipments of the affected site re-sourced from the other warehouses."),
)
NOTIFY = Step(
    "notify_recipients",
    _("Recipients notified"),
    _("The recipients and people served are told what changes for them (later delivery, other warehouse)."),
)
SITE_STATUS = Step(
    "site_status",
    _("Site status decided"),
    _("Control or lockdown of each affected site confirmed (or lifted with a reason) and posted at the entrance."),
)
STOCK_CHECK = Step(
    "stock_check",
    _("Stock at the site checked"),
    _("Goods handled by the case set aside until disinfected; nothing leaves the site before the status is decided."),
)
RESIDENTS = Step(
    "residents_care",
    _("Residents monitored and supported"),
    _("Residents' temperature and symptoms checked daily, meals and medicine delivered, psychological support."),
)
FARM_WORK = Step(
    "farm_work",
    _("Farm work kept on time"),
    _("Planting and deliveries of farm inputs rescheduled with stand-ins so the season is not lost (不误农时)."),
)

BASE = [SITE_STATUS, DISINFECTION, CONTACTS, STAFFING, RESOURCING, NOTIFY]

# kind → (title, steps)
PLAYBOOKS: dict[str, tuple[Promise, list[Step]]] = {
    "supply_site": (_("Positive case at a warehouse, pharmacy or station"), [*BASE[:2], STOCK_CHECK, *BASE[2:]]),
    "care_site": (_("Positive case at a care or lodging site"), [*BASE[:3], RESIDENTS, *BASE[3:]]),
    "farm": (_("Positive case at a farm cooperative"), [*BASE[:4], FARM_WORK, *BASE[4:]]),
    "general": (_("Positive case"), BASE),
}

SITE_KIND_TO_PLAYBOOK = {
    "warehouse": "supply_site",
    "pharmacy": "supply_site",
    "fuel_station": "supply_site",
    "elderly_home": "care_site",
    "hotel": "care_site",
    "isolation_point": "care_site",
    "field_hospital": "care_site",
    "farm_cooperative": "farm",
}


def playbook_kind(site_kind: str | None) -> str:
    """The playbook of an incident whose main site is of ``site_kind`` (``general`` without a site)."""
    return SITE_KIND_TO_PLAYBOOK.get(site_kind or "", "general")


def steps_of(kind: str) -> list[Step]:
    return PLAYBOOKS[kind][1]


def step_codes(kind: str) -> list[str]:
    return [step.code for step in steps_of(kind)]
