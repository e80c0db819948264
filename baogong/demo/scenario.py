"""The Baoshan 2022 lockdown, replayed day by day through the real actions.

``baogong demo --scenario baoshan-2022 [--seed N] [--days 60]`` moves a simulated clock
(time-machine) from 2022-04-01 and, each day, does what the cooperative did: buys
epidemic-prevention supplies (one supplier ships counterfeit antigen kits, caught at inspection
and recalled), takes requests from bureaus, streets and towns, field hospitals, the elderly home
and isolation sites, allocates scarce stock fairly, ships and delivers (with some shortages at
delivery), serves pharmacy orders with medical insurance, reacts to outbreaks, reviews
rent-relief applications, deploys staff and volunteers, books field-hospital costs and posts
news. No table is written directly: every change goes through an app's actions, so the ledger,
the audit log and the reports are exactly what a real run would leave.

Deterministic for a seed: all choices come from one ``random.Random(seed)``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth import get_user_model

from baogong.core.audit import SystemActor
from baogong.orgs.models import Site

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = dt.date(2022, 4, 1)
Progress = Callable[[int, str], None]

# Epidemic-prevention supplies as the warehouse counted them: whole cases (件).
# code, name, catalog category, unit, pack qty, pack unit, price (yuan per case), kg, m3, weight in demand.
# Prices: April 2022 bulk prices (N95 ¥220 a box of 10, antigen kits ¥215 a box of 20 tests …), so that
# the programme's ~56,000 cases come to about the article's ¥110M.
CASE_ITEMS: list[tuple[str, str, str, str, int, str, str, str, str, int]] = [
    ("SC-N95-CASE", "医用防护口罩(N95)整箱", "EPI-MASK", "箱", 20, "盒", "4400.00", "8", "0.08", 14),
    ("SC-SURG-CASE", "医用外科口罩整箱", "EPI-MASK", "箱", 40, "盒", "1400.00", "10", "0.10", 22),
    ("SC-GOWN-CASE", "医用一次性防护服整箱", "EPI-GOWN", "箱", 50, "套", "1550.00", "12", "0.12", 18),
    ("SC-AG-CASE", "新冠病毒抗原检测试剂整箱", "MED-DEV-IVD", "箱", 20, "盒", "4300.00", "6", "0.05", 10),
    ("SC-GLOVE-CASE", "医用检查手套整箱", "EPI-GOWN", "箱", 10, "盒", "800.00", "10", "0.06", 15),
    ("SC-DISINF-CASE", "84消毒液整箱", "EPI-DISINF", "箱", 12, "瓶", "96.00", "14", "0.03", 15),
]
# Recipients of the district programme (bureaus, streets and towns) and of the field hospitals.
HOSPITALS = ["FH-FCL", "FH-MPL"]
# Spring-planting inputs the farm-inputs company (农资公司) delivered to its vegetable cooperative,
# and the raw material the southern company (南方公司) kept flowing to POSCO's Zhangjiagang mill.
# code, name, category, unit, price (yuan per unit), kg, m3, units per delivery
FARM_ITEMS: list[tuple[str, str, str | None, str, str, str, str, int]] = [
    ("FERT-UREA", "尿素", "AGRI", "袋", "120.00", "40", "0.05", 60),
    ("AGRI-NPK", "复合肥(15-15-15) 40kg/袋", "AGRI", "袋", "150.00", "40", "0.05", 80),
    ("AGRI-SEED", "青菜种子 500g/袋", "AGRI", "袋", "35.00", "0.5", "0.002", 40),
    ("AGRI-FILM", "农用地膜 10kg/卷", "AGRI", "卷", "130.00", "10", "0.02", 20),
]
INDUSTRIAL_ITEM = ("IND-FECR", "高碳铬铁(FeCr55C1000)", None, "吨", "11000.00", "1000", "0.25", 60)
# The two Changxing island stations (open 24 hours) and their grades: code, item, capacity, low level
FUEL_STATIONS = ["FS-FH", "FS-CD"]
FUEL_GRADES = [("D0", "DIESEL-0", 30000, 6000, "7.60", "8.31"), ("G92", "GASOLINE-92", 20000, 4000, "7.90", "8.62")]
SUPPLY_VEHICLES = 20  # 沪B10000 … 沪B10019, the distribution trucks (they hold passes)
SUPPLY_DRIVERS = 20  # 司机01 … 司机20, registered drivers (people of 储运公司, tested each morning)
# Commercial venues inspected for reopening from 2022-05-21 (复商复市): code, name, org, area
VENUES = [
    ("CV-BY", "", "", ""),
    ("CV-HKL-YX", "沪客隆超市杨行店", "HKL", "310113103"),
    ("CV-HKL-YP", "沪客隆超市月浦店", "HKL", "310113104"),
    ("CV-BY-DC", "北翼大场商业广场", "BYJT", "310113102"),
    ("CV-GX-WS", "供销大厦吴淞店", "BSGX", "310113007"),
]
CARE_SITES = ["EH-TY", "IP-HKL", "HT-WYN"]


@dataclass
class Outcome:
    days: int = 0
    requests: int = 0
    shipments: int = 0
    delivered_units: int = 0
    refused_dispatches: list[str] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)  # requests an allocation run left out, and why
    refused_allocations: list[str] = field(default_factory=list)
    counterfeit_cases: int = 0
    relief_approved: int = 0
    relief_returned: int = 0
    relief_rejected: int = 0
    pharmacy_orders: int = 0
    fuel_sales: int = 0
    fuel_litres: int = 0
    green_channel_litres: int = 0
    inspections: int = 0
    reinspections: int = 0
    farm_input_units: int = 0
    industrial_tonnes: int = 0
    route_plans: int = 0  # dispatch days planned on the registered trucks (steps.routes)
    routes: int = 0
    playbook_steps: int = 0
    # lodging sites (steps.lodging) and what the group gave and served (steps.giving)
    stays: int = 0
    quarantine_guests: int = 0
    lodging_tests: int = 0
    meals: int = 0
    care_logs: int = 0
    donations_received: int = 0  # units of donated food received and released by QC
    donations_rejected: int = 0
    food_requests: int = 0  # food for tenants and work sites
    huasen_orders: int = 0
    drill: str = ""
    # scarcity (issue 21): the district programme's epidemic-prevention cases
    request_lines: int = 0
    ordered_cases: int = 0
    received_cases: int = 0
    supplier_shortfall_cases: int = 0
    late_deliveries: int = 0
    pro_rata_lines: int = 0
    cut_lines: int = 0
    capped_lines: int = 0
    carried_over_lines: int = 0
    pro_rata_days: int = 0
    fill_rate: float = 0.0
    requested_by_tier: dict[int, int] = field(default_factory=dict)
    delivered_by_tier: dict[int, int] = field(default_factory=dict)
    unmet_by_tier: dict[int, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Scenario:
    def __init__(self, *, seed: int = 2022, days: int = 60, progress: Progress | None = None) -> None:
        self.seed = seed
        self.days = max(1, min(days, 61))
        self.rng = random.Random(seed)  # noqa: S311 - a deterministic simulation, not security
        self.progress = progress or (lambda pct, msg: None)
        self.outcome = Outcome()
        self.system = SystemActor("scenario")
        # purchase orders on their way: (day index due, order id, share delivered, item position)
        self.pipeline: list[tuple[int, int, float, int]] = []
        self.shortfall: dict[str, int] = {}  # cases short-delivered, to order again
        # the relief model: tenants applying per day, forgotten documents (kind, day back), ineligible
        self.relief_plan: dict[int, list[int]] = {}
        self.relief_missing: dict[int, tuple[str, int | None]] = {}
        self.relief_ineligible: set[int] = set()
        self.relief_stalls: dict[int, list[Any]] = {}  # the markets' units by market, read once
        # the rosters (steps.people): staff on the books per crew, office staff, cadres, this week's crews
        self.crews: list[list[Any]] = []
        self.office_staff: list[Any] = []
        self.cadres: list[Any] = []
        self.on_crew: list[list[Any]] = []
        self.served: list[Any] = []
        self.batches = 0
        self.posts = self.videos = self.coverage = self.week_posts = 0  # the publishing model
        self._users: dict[str, Any] = {}
        # the lodging model (steps.lodging): its own random draws, rooms per site, who is lodged where
        self.lodging_rng: random.Random | None = None
        self.lodging_sites: dict[str, Site] = {}
        self.lodging_rooms: dict[str, list[Any]] = {}
        self.lodged: dict[str, dict[int, tuple[Any, Any]]] = {}
        self.giving_rng: random.Random | None = None  # steps.giving's own draws

    # --- helpers ----------------------------------------------------------------------------
    def user(self, username: str) -> Any:
        """The demo account (or the scenario's system actor where there is none), read once: the
        accounts do not change during a replay, and the actions re-read what they check."""
        found = self._users.get(username) or get_user_model().objects.filter(username=username).first()
        if found is None:
            return self.system
        self._users[username] = found
        return found

    def forget_users(self) -> None:
        """Read the accounts again (their scope is cached on them): after sites were added."""
        self._users.clear()

    def at(self, day: dt.date, hour: int = 9, minute: int = 0) -> Any:
        moment = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)
        return time_machine.travel(moment, tick=False)

    def today(self) -> dt.date:
        from django.utils import timezone

        return timezone.localdate()

    def site(self, code: str) -> Site:
        return Site.objects.get(code=code)

    # --- the run ----------------------------------------------------------------------------
    def run(self) -> Outcome:
        from baogong.demo import steps

        with self.at(START - dt.timedelta(days=2), 8):
            self.progress(0, "基础数据 / base data")
            steps.prepare(self)
        self.forget_users()  # read again once preparation has granted what it grants
        for index in range(self.days):
            day = START + dt.timedelta(days=index)
            steps.replay_day(self, day, index)
            self.outcome.days = index + 1
            self.progress(int((index + 1) * 95 / self.days), f"{day.isoformat()} 已回放 / replayed")
        with self.at(START + dt.timedelta(days=self.days), 18):
            steps.finish(self)
        self.progress(100, "完成 / done")
        return self.outcome


def money(value: str) -> Decimal:
    return Decimal(value)
