"""The situation on one past day, read from history (``baogong report daily --format json``).

Every figure is what was true on that day, not today's state read back: site statuses from the
status history, held dispatches from their records, recalls from the counterfeit cases' times,
unmet demand from request and shipment times, stock from the ledger's moves up to the day's end.
The day runs from local (Shanghai) midnight to midnight.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.utils import timezone

from baogong.catalog.models import Item
from baogong.distribution import queries as distribution_queries
from baogong.inventory import queries as inventory_queries
from baogong.orgs import queries as orgs_queries
from baogong.orgs.queries import SiteState
from baogong.procurement import queries as procurement_queries
from baogong.reports.figures import Figure, FigureUnavailable, Period, figure, link, num

# Days of demand averaged for days of cover (the day and the six before it).
DEMAND_WINDOW_DAYS = 7


@dataclass(frozen=True)
class Hold:
    shipment: str
    warehouse: str
    recipient: str
    stage: str
    reasons: list[str]
    at: dt.datetime
    attempts: int = 1  # loads and dispatches of this shipment refused that day


@dataclass(frozen=True)
class Cover:
    code: str
    name: str
    unit: str
    on_hand: int
    daily_demand: float
    days: float


@dataclass(frozen=True)
class Situation:
    date: dt.date
    sites: list[SiteState]
    holds: list[Hold]
    recalled_lots: list[str]
    unmet_by_tier: dict[int, int]
    cover: list[Cover]

    def as_json(self) -> dict[str, Any]:
        """The contract of ``baogong report daily --format json`` (keys in DESIGN.md)."""
        return {
            "date": self.date.isoformat(),
            "sites_under_control": [state.site.code for state in self.sites],
            "held_dispatches": len(self.holds),
            "recalled_lots": self.recalled_lots,
            "unmet_by_tier": {str(tier): units for tier, units in self.unmet_by_tier.items()},
            "days_of_cover": {cover.code: cover.days for cover in self.cover},
            "sites": [
                {
                    "code": s.site.code,
                    "name": s.site.name,
                    "status": s.status,
                    "status_label": s.status_label,
                    "reason": s.reason,
                }
                for s in self.sites
            ],
            "holds": [
                {
                    "shipment": h.shipment,
                    "warehouse": h.warehouse,
                    "recipient": h.recipient,
                    "stage": h.stage,
                    "reasons": h.reasons,
                    "at": h.at.isoformat(),
                    "attempts": h.attempts,
                }
                for h in self.holds
            ],
            "cover": [
                {"code": c.code, "name": c.name, "unit": c.unit, "on_hand": c.on_hand, "daily_demand": c.daily_demand}
                for c in self.cover
            ],
        }


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Local midnight to the next local midnight, as aware datetimes."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    return start, end


def days_of_cover(user: Any, day: dt.date) -> list[Cover]:
    """For each item requested in the week ending ``day``: units in store at the day's end over
    the average units requested a day that week. Items nobody asked for have no cover to speak of
    and are left out. Shortest cover first."""
    _, end = day_bounds(day)
    start, _ = day_bounds(day - dt.timedelta(days=DEMAND_WINDOW_DAYS - 1))
    demand = distribution_queries.requested_units(user, start, end)
    demand = {item_id: units for item_id, units in demand.items() if units > 0}
    stock = inventory_queries.on_hand_at(user, demand, end)
    items = Item.objects.in_bulk(list(demand))
    covers = []
    for item_id, units in demand.items():
        daily = units / DEMAND_WINDOW_DAYS
        item = items[item_id]
        covers.append(
            Cover(item.code, item.name, item.unit, stock[item_id], round(daily, 1), round(stock[item_id] / daily, 1))
        )
    return sorted(covers, key=lambda c: (c.days, c.code))


def held_on(user: Any, start: dt.datetime, end: dt.datetime) -> list[Hold]:
    """The shipments held in ``[start, end)`` (one day), each once: retries of the same refused
    load or dispatch count as attempts of one hold, with the reasons of every attempt (first seen
    first) and the time of the first."""
    holds: dict[int, Hold] = {}
    for hold in distribution_queries.held_dispatches(user, start, end).order_by("at", "pk"):
        reasons = [str(r) for r in hold.reasons]
        seen = holds.get(hold.shipment_id)
        if seen is None:
            holds[hold.shipment_id] = Hold(
                shipment=hold.shipment.number or str(hold.shipment),
                warehouse=hold.shipment.warehouse.name,
                recipient=hold.shipment.recipient.name,
                stage=str(hold.get_stage_display()),
                reasons=reasons,
                at=timezone.localtime(hold.at),
            )
            continue
        more = [r for r in reasons if r not in seen.reasons]
        holds[hold.shipment_id] = replace(seen, reasons=[*seen.reasons, *more], attempts=seen.attempts + 1)
    return list(holds.values())


def situation(user: Any, day: dt.date) -> Situation:
    start, end = day_bounds(day)
    holds = held_on(user, start, end)
    return Situation(
        date=day,
        sites=orgs_queries.sites_not_normal_during(user, start, end),
        holds=holds,
        recalled_lots=procurement_queries.lots_recalled(user, start, end),
        unmet_by_tier=distribution_queries.unmet_by_tier(user, end),
        cover=days_of_cover(user, day),
    )


# --------------------------------------------------------------------------- report figures
def _span(period: Period) -> tuple[dt.datetime, dt.datetime]:
    return day_bounds(period.start)[0], day_bounds(period.end)[1]


@figure("sites_not_normal", "sites", "orgs.view_site")
def sites_not_normal(user: Any, period: Period) -> Figure:
    states = orgs_queries.sites_not_normal_during(user, *_span(period))
    names = "、".join(f"{s.site.name}（{s.status_label}）" for s in states[:8]) + ("等" if len(states) > 8 else "")
    return Figure(
        "sites_not_normal",
        "sites",
        "管控、封控或关闭的场所",
        len(states),
        "处",
        f"期间管控、封控或关闭的场所{num(len(states))}处" + (f"：{names}" if names else ""),
        link("reports:daily", date=period.end),
        "场所状态变更记录：期间任一时刻不是“正常”的场所（按当时的状态，而不是今天的状态）",
    )


@figure("held_dispatches", "sites", "distribution.view_shipment")
def held_dispatches(user: Any, period: Period) -> Figure:
    count = distribution_queries.held_shipment_days(user, *_span(period))
    return Figure(
        "held_dispatches",
        "sites",
        "暂停发运",
        count,
        "次",
        f"因场所管控、通行证或驾驶员健康状况暂停装车或发运{num(count)}次",
        link("reports:daily", date=period.end),
        "装车、发运被拒绝的记录（原因随记录保存）",
    )


@figure("recalled_lots", "supply", "procurement.view_recall")
def recalled_lots(user: Any, period: Period) -> Figure:
    batches = procurement_queries.lots_recalled(user, *_span(period))
    return Figure(
        "recalled_lots",
        "supply",
        "召回批次",
        len(batches),
        "个",
        f"发现疑似假冒并召回批次{num(len(batches))}个" + (f"（{'、'.join(batches[:6])}）" if batches else ""),
        link("procurement:recall_list"),
        "疑似假冒登记：当期登记的批次及其同供应商同品种被隔离的批次",
    )


@figure("unmet_demand", "supply", "distribution.view_request")
def unmet_demand(user: Any, period: Period) -> Figure:
    by_tier = distribution_queries.unmet_by_tier(user, _span(period)[1])
    total = sum(by_tier.values())
    tiers = "，".join(f"第{tier}级{num(units)}件" for tier, units in by_tier.items() if units)
    return Figure(
        "unmet_demand",
        "supply",
        "尚未满足的需求",
        total,
        "件",
        f"截至{period.end:%m月%d日}日终尚未发出的需求{num(total)}件" + (f"（{tiers}）" if tiers else ""),
        link("distribution:request_list"),
        "需求申请单：当日结束前已提交、未被驳回或取消的申请，批准数量减去已发运数量，按收货单位优先级汇总",
    )


@figure("days_of_cover", "supply", "inventory.view_stockbalance")
def days_of_cover_figure(user: Any, period: Period) -> Figure:
    covers = days_of_cover(user, period.end)
    if not covers:
        raise FigureUnavailable("no demand in the week")
    short = [c for c in covers if c.days < 3]
    listed = "、".join(f"{c.name}{c.days:g}天" for c in covers[:5])
    return Figure(
        "days_of_cover",
        "supply",
        "库存可保障天数不足3天的物资",
        len(short),
        "种",
        f"按近7日需求测算，库存可保障天数最短的物资：{listed}",
        link("inventory:stock_list"),
        "库存流水截至当日结束的仓库在库数量，除以近7日日均申请数量",
    )


# --------------------------------------------------------------------------- which day to show
def data_span(user: Any) -> tuple[dt.date, dt.date] | None:
    """The first and last day on which the user's requests were submitted or shipments delivered
    (the days a dashboard or summary has something to say about), today at the latest."""
    span = distribution_queries.activity_span(user)
    if span is None:
        return None
    today = timezone.localdate()
    first, last = (min(timezone.localdate(at), today) for at in span)
    return first, last


def latest_day(user: Any) -> dt.date:
    """The day a dashboard opens on: the latest with data, else today."""
    span = data_span(user)
    return span[1] if span else timezone.localdate()
