"""The article's figures as consequences of modelled work (issue 21, point 2); see docs/replay.md.

- field-hospital running costs: cost lines of each week's operations (staff on site, meals and
  consumables per occupied bed, bed upkeep, transfer vehicles), with occupancy from the case curve;
- news posts, short videos, reads and outside coverage: a publishing rhythm that follows the
  epidemic and the events of the day.

Nothing here aims at the article's numbers: each figure is the sum of what the model did.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from baogong.demo.steps import scarcity

if TYPE_CHECKING:
    from baogong.demo.scenario import Scenario

# --- field hospitals -------------------------------------------------------------------------
# Rates of April 2022 (yuan): staff on site per bed opened, pay per person-day (doctors, nurses,
# cleaners, security, with hardship allowance); meals per patient-day (three meals); consumables
# and disinfection per patient-day; upkeep per bed opened per day (site, bedding, utilities);
# transfer vehicles per hospital-week.
STAFF_PER_BED = Decimal("0.10")
STAFF_DAY_RATE = Decimal("400")
MEALS_PER_PATIENT_DAY = Decimal("60")
CONSUMABLES_PER_PATIENT_DAY = Decimal("45")
UPKEEP_PER_BED_DAY = Decimal("10")
TRANSFER_PER_WEEK = Decimal("25000")
MISSIONS = {"M-FH-FCL": "FH-FCL", "M-FH-MPL": "FH-MPL"}


def hospital_week(s: Scenario, beds: int, first: int, last: int) -> dict[str, tuple[Decimal, str]]:
    """Cost of one hospital for days ``first``..``last`` (day indexes, inclusive), by category."""
    days = last - first + 1
    patient_days = Decimal(sum(round(beds * scarcity.occupancy(i)) for i in range(first, last + 1)))
    staff_days = (Decimal(beds) * STAFF_PER_BED).quantize(Decimal("1")) * days
    consumables = patient_days * CONSUMABLES_PER_PATIENT_DAY * Decimal(str(round(s.rng.uniform(0.9, 1.1), 3)))
    cent = Decimal("0.01")
    return {
        "labour": ((staff_days * STAFF_DAY_RATE).quantize(cent), f"医护后勤人员劳务 {staff_days}人·天"),
        "lodging": ((patient_days * MEALS_PER_PATIENT_DAY).quantize(cent), f"患者餐饮 {patient_days}人·天"),
        "other": (
            (consumables + Decimal(beds * days) * UPKEEP_PER_BED_DAY).quantize(cent),
            f"消杀保洁及耗材 {patient_days}人·天，床位维护 {beds * days}床·天",
        ),
        "transport": ((TRANSFER_PER_WEEK * days / 7).quantize(cent), f"转运车辆 {days}天"),
    }


def book_costs(s: Scenario, day: dt.date, index: int, *, final: bool = False) -> None:
    """Every seventh day (and at the end) each field hospital books the week's operations."""
    from baogong.finance import actions
    from baogong.finance.models import Mission

    if not final and index % 7 != 6:
        return
    last = index if not final else s.days - 1
    first = (last // 7) * 7 if final else index - 6
    if final and (s.days % 7 == 0 or last < first):
        return
    commander = s.user("commander")
    for mission in Mission.objects.filter(code__in=MISSIONS).order_by("code"):
        beds = s.site(MISSIONS[mission.code]).headcount or 0
        for category, (amount, what) in hospital_week(s, beds, first, last).items():
            if amount <= 0:
                continue
            line = actions.add_cost_line(
                mission,
                {
                    "category": category,
                    "amount": amount,
                    "invoice_number": f"{mission.code}-{day:%m%d}-{category[:3]}",
                    "supplier": what.split(" ")[0],
                    "incurred_on": day,
                    "description": f"{what}（{day:%m月%d日}止）",
                },
                actor=commander,
            )
            actions.approve_cost_line(line, actor=commander)


# --- publishing ------------------------------------------------------------------------------
# The office's columns (《疫情防控》《我在“疫”线》《抗疫微故事》《抗疫保产》): a post is written on a
# day with probability POST_BASE + POST_WAVE × case curve per writer slot; a short video needs a
# week's footage and is cut in a week with at least VIDEO_MIN_POSTS posts, with probability VIDEO_P.
POST_SLOTS = 2
POST_BASE = 0.41
POST_WAVE = 0.55
READS_MEAN = 300
READS_SD = 90
VIDEO_MIN_POSTS = 7
VIDEO_P = 0.5
COVERAGE_BASE = 0.36
COVERAGE_WAVE = 0.45
COLUMNS = ["疫情防控", "我在“疫”线", "抗疫微故事", "抗疫保产"]
OUTLETS = ["宝山发布", "宝山党建", "宝山区门户网站", "中华供销合作时报"]


def publish(s: Scenario, day: dt.date, index: int) -> None:
    from baogong.command import actions
    from baogong.orgs.models import Organisation

    org = Organisation.objects.get(code="BSGX")
    commander = s.user("commander")
    wave = scarcity.cases(index)
    for _slot in range(POST_SLOTS):
        if s.rng.random() < POST_BASE + POST_WAVE * wave:
            s.posts += 1
            s.week_posts += 1
            column = COLUMNS[s.posts % len(COLUMNS)]
            actions.record_post(
                {
                    "organisation": org,
                    "kind": "own",
                    "channel": "wechat" if s.posts % 3 else "website",
                    "published_on": day,
                    "title": f"《{column}》第{s.posts}期",
                    "reads": max(40, int(s.rng.gauss(READS_MEAN, READS_SD))),
                },
                actor=commander,
            )
    if index % 7 == 6:
        if s.week_posts >= VIDEO_MIN_POSTS and s.rng.random() < VIDEO_P:
            s.videos += 1
            actions.record_post(
                {
                    "organisation": org,
                    "kind": "own",
                    "channel": "video",
                    "published_on": day,
                    "title": f"抗疫短视频（{s.videos}）",
                    "reads": max(40, int(s.rng.gauss(READS_MEAN, READS_SD))),
                },
                actor=commander,
            )
        s.week_posts = 0
    if s.rng.random() < COVERAGE_BASE + COVERAGE_WAVE * wave:
        s.coverage += 1
        actions.record_post(
            {
                "organisation": org,
                "kind": "coverage",
                "channel": "press",
                "outlet": OUTLETS[s.coverage % len(OUTLETS)],
                "published_on": day,
                "title": f"宝山供销社保供一线报道({s.coverage})",
            },
            actor=commander,
        )
