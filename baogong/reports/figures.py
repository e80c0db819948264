"""The registry of report figures: one provider function per figure.

Each provider reads one app's ``queries.py`` (plain imports: reports is the top layer, and mypy
checks every call) and returns a :class:`Figure` — value, unit, a Chinese phrase for the prose, a
drill-down link to the records behind it and a description of the query it came from. A provider
that has no figure for this user or period (group-wide totals for a scoped user, a rate over no
inspections) raises :class:`FigureUnavailable` and the figure simply does not appear.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from baogong.command import queries as command_queries
from baogong.core.scoping import has_global_scope
from baogong.distribution import queries as distribution_queries
from baogong.finance import queries as finance_queries
from baogong.fleet import queries as fleet_queries
from baogong.inventory import queries as inventory_queries
from baogong.people import queries as people_queries
from baogong.pharmacy import queries as pharmacy_queries
from baogong.property import queries as property_queries
from baogong.reports.sources import yuan


class FigureUnavailable(Exception):
    """There is no figure for this user or period (e.g. group-wide totals asked by a scoped user)."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Figure:
    key: str
    section: str
    label: str
    value: Decimal | int
    unit: str
    phrase: str
    link: str
    query: str


@dataclass(frozen=True)
class Provider:
    key: str
    section: str
    perm: str | None
    func: Callable[[Any, Period], Figure]


SECTIONS = [
    ("supply", "物资保障"),
    ("finance", "经费保障"),
    ("pharmacy", "医药服务"),
    ("fleet", "运输与燃油"),
    ("property", "租金减免"),
    ("people", "人员与防疫"),
    ("communications", "宣传报道"),
    ("reopening", "复商复市"),
    ("sites", "场所状态"),
]
PROVIDERS: list[Provider] = []


def figure(
    key: str, section: str, perm: str | None = None
) -> Callable[[Callable[[Any, Period], Figure]], Callable[[Any, Period], Figure]]:
    def register(func: Callable[[Any, Period], Figure]) -> Callable[[Any, Period], Figure]:
        PROVIDERS.append(Provider(key, section, perm, func))
        return func

    return register


def link(url_name: str, **params: Any) -> str:
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return ""
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return url + ("?" + urlencode(clean) if clean else "")


def num(value: Decimal | int) -> str:
    """Exact figure with thousands separators: 56,000 / 110,000,000.00."""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return f"{value:,}"


def collect(user: Any, period: Period, keys: list[str] | None = None) -> list[Figure]:
    """Every available figure the user may see, in registry order."""
    result = []
    for provider in PROVIDERS:
        if keys is not None and provider.key not in keys:
            continue
        has_perm = getattr(user, "has_perm", None)
        if provider.perm and has_perm is not None and not has_perm(provider.perm):
            continue
        try:
            result.append(provider.func(user, period))
        except FigureUnavailable:
            continue
    return result


def by_section(figures: list[Figure]) -> list[tuple[str, str, list[Figure]]]:
    return [
        (code, title, [f for f in figures if f.section == code])
        for code, title in SECTIONS
        if any(f.section == code for f in figures)
    ]


# --------------------------------------------------------------------------- supply (distribution)
BUREAUS_AND_TOWNS = ["government_bureau", "street_office"]
TENANTS_AND_SITES = ["commercial_venue", "delivery_point"]
STAFF_KINDS = ["staff", "volunteer"]


def _delivered(user: Any, period: Period, kinds: list[str] | None) -> dict[str, Any]:
    if not _is_global(user):
        raise FigureUnavailable("delivered totals are group-wide")
    totals: dict[str, Any] = distribution_queries.delivered_totals(period.start, period.end, kinds)
    return totals


def _is_global(user: Any) -> bool:
    return has_global_scope(user)


@figure("delivered_items_bureaus_towns", "supply", "distribution.view_shipment")
def delivered_items_bureaus_towns(user: Any, period: Period) -> Figure:
    items = int(_delivered(user, period, BUREAUS_AND_TOWNS)["items"])
    return Figure(
        "delivered_items_bureaus_towns",
        "supply",
        "向委办局和街镇配送物资",
        items,
        "件",
        f"为各委办局和街镇提供防疫物资{num(items)}件",
        link("distribution:delivered_value", **{"from": period.start, "to": period.end}),
        "distribution.queries.delivered_totals(from, to, recipient_kinds=[government_bureau, street_office])['items']: "
        "shipment lines delivered or closed in the period, sum of received quantity",
    )


@figure("delivered_value_bureaus_towns", "supply", "distribution.view_shipment")
def delivered_value_bureaus_towns(user: Any, period: Period) -> Figure:
    value = Decimal(_delivered(user, period, BUREAUS_AND_TOWNS)["value"])
    return Figure(
        "delivered_value_bureaus_towns",
        "supply",
        "向委办局和街镇配送物资价值",
        value,
        "元",
        f"价值{yuan(value)}",
        link("distribution:delivered_value", **{"from": period.start, "to": period.end}),
        "distribution.queries.delivered_totals(from, to, recipient_kinds=[government_bureau, street_office])['value']: "
        "sum of received quantity × unit cost, rounded to the fen",
    )


@figure("delivered_value_all", "supply", "distribution.view_shipment")
def delivered_value_all(user: Any, period: Period) -> Figure:
    totals = _delivered(user, period, None)
    value = Decimal(totals["value"])
    return Figure(
        "delivered_value_all",
        "supply",
        "全部送达物资价值",
        value,
        "元",
        f"全部送达物资{num(int(totals['items']))}件、价值{yuan(value)}",
        link("distribution:delivered_value", **{"from": period.start, "to": period.end}),
        "distribution.queries.delivered_totals(from, to)['value']: every recipient kind",
    )


@figure("donations_received", "supply", "inventory.view_receipt")
def donations_received(user: Any, period: Period) -> Figure:
    units = inventory_queries.donated_units(user, period.start, period.end)
    return Figure(
        "donations_received",
        "supply",
        "接收合作单位捐赠物资",
        units["released"],
        "件",
        f"接收合作单位、兄弟供销社捐赠的粮食蔬菜等物资{num(units['released'])}件（验收合格）",
        link("inventory:stock_list"),
        "inventory.queries.donated_units(user, from, to)['released']: receipt lines of lots received at no cost "
        "in the period whose QC status is released, sum of quantity",
    )


@figure("food_to_tenants_and_sites", "supply", "distribution.view_shipment")
def food_to_tenants_and_sites(user: Any, period: Period) -> Figure:
    if not _is_global(user):
        raise FigureUnavailable("delivered totals are group-wide")
    totals = distribution_queries.delivered_totals(period.start, period.end, TENANTS_AND_SITES, category_under="LIFE")
    items = int(totals["items"])
    return Figure(
        "food_to_tenants_and_sites",
        "supply",
        "为租赁客户、第三方公司和项目工地送去食品",
        items,
        "件",
        f"为物资告急的租赁客户、第三方公司、项目工地等送去食品{num(items)}件",
        link("distribution:delivered_value", **{"from": period.start, "to": period.end}),
        "distribution.queries.delivered_totals(from, to, recipient_kinds=[commercial_venue, delivery_point], "
        "category_under='LIFE')['items']",
    )


@figure("customer_orders_delivered", "supply", "distribution.view_shipment")
def customer_orders_delivered(user: Any, period: Period) -> Figure:
    totals = _delivered(user, period, ["customer"])
    value = Decimal(totals["value"])
    return Figure(
        "customer_orders_delivered",
        "supply",
        "企业客户订单交付",
        value,
        "元",
        f"保障华森公司、南方公司等企业客户订单按时交付，价值{yuan(value)}",
        link("distribution:delivered_value", **{"from": period.start, "to": period.end}),
        "distribution.queries.delivered_totals(from, to, recipient_kinds=[customer])['value']",
    )


# --------------------------------------------------------------------------- finance
@figure("field_hospital_costs", "finance", "finance.view_costline")
def field_hospital_costs(user: Any, period: Period) -> Figure:
    value: Decimal = finance_queries.field_hospital_costs(user, period.start, period.end)
    return Figure(
        "field_hospital_costs",
        "finance",
        "方舱医院运行经费",
        value,
        "元",
        f"承担方舱医院运行经费{yuan(value)}",
        link(
            "finance:cost_list",
            mission_kind="field_hospital",
            status="approved",
            **{"from": period.start, "to": period.end},
        ),
        "finance.queries.field_hospital_costs(user, from, to): approved cost lines of field-hospital missions "
        "dated in the period, sum of amount",
    )


@figure("mission_costs", "finance", "finance.view_costline")
def mission_costs(user: Any, period: Period) -> Figure:
    value: Decimal = finance_queries.total(
        finance_queries.approved_costs(finance_queries.cost_lines_for(user), start=period.start, end=period.end)
    )
    return Figure(
        "mission_costs",
        "finance",
        "保供任务已审核费用",
        value,
        "元",
        f"各项保供任务已审核费用合计{yuan(value)}",
        link("finance:cost_list", status="approved", **{"from": period.start, "to": period.end}),
        "finance.queries.total(approved_costs(cost_lines_for(user), from, to)): approved cost lines of every mission",
    )


# --------------------------------------------------------------------------- pharmacy, fleet
@figure("pharmacy_orders_served", "pharmacy", "pharmacy.view_order")
def pharmacy_orders_served(user: Any, period: Period) -> Figure:
    count = (
        pharmacy_queries.orders_served(period.start, period.end)
        .filter(pk__in=pharmacy_queries.orders_for(user).values("pk"))
        .count()
    )
    return Figure(
        "pharmacy_orders_served",
        "pharmacy",
        "药房送达订单",
        count,
        "单",
        f"各药房为居民送药上门{num(count)}单",
        link("pharmacy:order_list", status="delivered", **{"from": period.start, "to": period.end}),
        "pharmacy.queries.orders_served(from, to) ∩ orders_for(user): orders delivered in the period, count",
    )


@figure("fuel_served", "fleet", "fleet.view_fueltank")
def fuel_served(user: Any, period: Period) -> Figure:
    start, _ = people_queries.day_bounds(period.start)
    _, end = people_queries.day_bounds(period.end)
    litres = fleet_queries.green_litres(fleet_queries.stations_for(user), start, end)
    return Figure(
        "fuel_served",
        "fleet",
        "为保供车辆加油（绿色通道）",
        litres,
        "升",
        f"所属加油站开通绿色通道，为保供车辆加油{num(litres)}升",
        link("fleet:station_list"),
        "fleet.queries.green_litres(stations_for(user), from, to): green-channel litres sold in the period "
        "(the sum of station_day_report's green column over stations and days)",
    )


# --------------------------------------------------------------------------- property
@figure("relief_approved", "property", "property.view_reliefapplication")
def relief_approved(user: Any, period: Period) -> Figure:
    count = property_queries.applications_for(user).filter(status="approved", submitted_on__lte=period.end).count()
    return Figure(
        "relief_approved",
        "property",
        "审核通过租金减免申请（累计）",
        count,
        "家",
        f"累计审核通过{num(count)}家企业和商户的租金减免申请",
        link("property:application_list", status="approved", to=period.end),
        "property.queries.applications_for(user) with status approved and submitted on or before the period's end, count",
    )


# --------------------------------------------------------------------------- people
def _tests(user: Any, period: Period) -> Any:
    start, _ = people_queries.day_bounds(period.start)
    _, end = people_queries.day_bounds(period.end)
    # the supply staff's tests (staff and volunteers): not those of quarantine guests or care-home residents
    return people_queries.tests_for(user).filter(taken_at__gte=start, taken_at__lt=end, person__kind__in=STAFF_KINDS)


@figure("health_tests", "people", "people.view_healthtest")
def health_tests(user: Any, period: Period) -> Figure:
    count = _tests(user, period).count()
    return Figure(
        "health_tests",
        "people",
        "保供人员检测",
        count,
        "人次",
        f"保供人员核酸和抗原检测{num(count)}人次",
        link("people:dashboard", **{"from": period.start, "to": period.end}),
        "people.queries.tests_for(user) of staff and volunteers taken in the period (local days), count",
    )


@figure("health_positives", "people", "people.view_healthtest")
def health_positives(user: Any, period: Period) -> Figure:
    count = _tests(user, period).filter(result="positive").count()
    return Figure(
        "health_positives",
        "people",
        "检测阳性",
        count,
        "人次",
        f"其中阳性{num(count)}人次",
        link("people:dashboard", **{"from": period.start, "to": period.end}),
        "people.queries.tests_for(user) taken in the period with result positive, count",
    )


@figure("lodging_stays", "people", "people.view_person")
def lodging_stays(user: Any, period: Period) -> Figure:
    count = people_queries.lodging_totals(user, period.start, period.end)["stays"]
    return Figure(
        "lodging_stays",
        "people",
        "隔离酒店、保供人员住宿、隔离点和养老院入住",
        count,
        "人次",
        f"隔离酒店、保供人员住宿酒店、隔离点和养老院累计入住{num(count)}人次",
        link("people:dashboard", **{"from": period.start, "to": period.end}),
        "people.queries.lodging_totals(user, from, to)['stays']: lodging stays checked in during the period, count",
    )


@figure("meals_served", "people", "people.view_person")
def meals_served(user: Any, period: Period) -> Figure:
    meals = people_queries.lodging_totals(user, period.start, period.end)["meals"]
    return Figure(
        "meals_served",
        "people",
        "一日三餐供餐",
        meals,
        "份",
        f"安排一日三餐{num(meals)}份",
        link("people:dashboard", **{"from": period.start, "to": period.end}),
        "people.queries.lodging_totals(user, from, to)['meals']: meal logs served in the period, sum of servings",
    )


@figure("incidents_opened", "people", "people.view_person")
def incidents_opened(user: Any, period: Period) -> Figure:
    start, _ = people_queries.day_bounds(period.start)
    _, end = people_queries.day_bounds(period.end)
    count = people_queries.incidents_for(user).filter(opened_at__gte=start, opened_at__lt=end).count()
    return Figure(
        "incidents_opened",
        "people",
        "新发疫情事件",
        count,
        "起",
        f"处置新发疫情事件{num(count)}起",
        link("people:incident_list"),
        "people.queries.incidents_for(user) opened in the period (local days), count",
    )


@figure("playbook_steps_done", "people", "command.view_playbookstep")
def playbook_steps_done(user: Any, period: Period) -> Figure:
    start, _ = people_queries.day_bounds(period.start)
    _, end = people_queries.day_bounds(period.end)
    count = command_queries.steps_done_between(user, start, end)
    return Figure(
        "playbook_steps_done",
        "people",
        "完成处置清单事项",
        count,
        "项",
        f"完成疫情处置清单事项{num(count)}项",
        link("people:incident_list"),
        "command.queries.steps_done_between(user, start, end): playbook steps ticked off in the period",
    )


@figure("playbook_steps_open", "people", "command.view_playbookstep")
def playbook_steps_open(user: Any, period: Period) -> Figure:
    _, end = people_queries.day_bounds(period.end)
    progress = command_queries.playbook_progress(user, end)
    return Figure(
        "playbook_steps_open",
        "people",
        "处置清单未完成事项（期末）",
        progress["open"],
        "项",
        f"期末{num(progress['incidents'])}起未结疫情事件的处置清单尚有{num(progress['open'])}项未完成"
        f"（{num(progress['complete'])}起已全部完成）",
        link("people:incident_list", status="open"),
        "command.queries.playbook_progress(user, end of period): steps not ticked off by then on incidents open then",
    )


def _headcounts(user: Any, period: Period) -> dict[str, Any]:
    counts: dict[str, Any] = people_queries.headcounts(people_queries.deployments_for(user), period.start, period.end)
    return counts


@figure("people_on_duty", "people", "people.view_person")
def people_on_duty(user: Any, period: Period) -> Figure:
    count = _headcounts(user, period)["on_duty"]
    return Figure(
        "people_on_duty",
        "people",
        "坚守保供、生产、经营和值守岗位人员",
        count.people,
        "人",
        f"{num(count.people)}名干部职工坚守保供、生产、经营和值守岗位（{num(count.person_days)}人·天）",
        link("people:deployment_list", **{"from": period.start, "to": period.end}),
        "people.queries.headcounts(deployments_for(user), from, to)['on_duty'].people: distinct people deployed on "
        "supply, production, business or watch duty overlapping the period",
    )


@figure("volunteer_person_times", "people", "people.view_person")
def volunteer_person_times(user: Any, period: Period) -> Figure:
    counts = _headcounts(user, period)
    times = counts["volunteer_team"].person_times
    return Figure(
        "volunteer_person_times",
        "people",
        "外派志愿服务",
        times,
        "人次",
        f"累计外派{num(int(counts['batches']))}批{num(times)}人次参加志愿服务",
        link("people:deployment_list", duty_type="volunteer_team", **{"from": period.start, "to": period.end}),
        "people.queries.headcounts(deployments_for(user), from, to)['volunteer_team'].person_times: "
        "volunteer-team deployments overlapping the period, count (batches: distinct batches)",
    )


# --------------------------------------------------------------------------- communications, reopening
def _posts(user: Any, period: Period) -> Any:
    return command_queries.filter_posts(command_queries.posts_for(user), {"from": period.start, "to": period.end})


@figure("posts_published", "communications", "command.view_communicationpost")
def posts_published(user: Any, period: Period) -> Figure:
    qs = _posts(user, period)
    count = command_queries.post_totals(command_queries.own_posts(qs))["count"]
    return Figure(
        "posts_published",
        "communications",
        "发布网页新闻、微信推送等",
        count,
        "条",
        f"共发布网页新闻、微信推送等{num(count)}条",
        link("command:post_list", kind="own", **{"from": period.start, "to": period.end}),
        "command.queries.post_totals(own_posts(filter_posts(posts_for(user), from, to)))['count']",
    )


@figure("post_reads", "communications", "command.view_communicationpost")
def post_reads(user: Any, period: Period) -> Figure:
    qs = _posts(user, period)
    reads = command_queries.post_totals(command_queries.own_posts(qs))["reads"]
    return Figure(
        "post_reads",
        "communications",
        "阅读量",
        reads,
        "次",
        f"累计阅读{num(reads)}次",
        link("command:post_list", kind="own", **{"from": period.start, "to": period.end}),
        "command.queries.post_totals(own_posts(filter_posts(posts_for(user), from, to)))['reads']",
    )


@figure("media_coverage", "communications", "command.view_communicationpost")
def media_coverage(user: Any, period: Period) -> Figure:
    qs = _posts(user, period)
    count = command_queries.post_totals(command_queries.coverage(qs))["count"]
    return Figure(
        "media_coverage",
        "communications",
        "外部媒体主题报道",
        count,
        "篇",
        f"获外部媒体主题报道{num(count)}篇",
        link("command:post_list", kind="coverage", **{"from": period.start, "to": period.end}),
        "command.queries.post_totals(coverage(filter_posts(posts_for(user), from, to)))['count']",
    )


def _compliance(user: Any, period: Period) -> list[Any]:
    rows: list[Any] = command_queries.compliance(user, period.start, period.end)
    return rows


@figure("venue_inspections", "reopening", "command.view_inspection")
def venue_inspections(user: Any, period: Period) -> Figure:
    count = sum(r.inspections for r in _compliance(user, period))
    return Figure(
        "venue_inspections",
        "reopening",
        "复商复市检查",
        count,
        "次",
        f"开展复商复市检查{num(count)}次",
        link("command:inspection_list", **{"from": period.start, "to": period.end}),
        "command.queries.compliance(user, from, to): full inspections (re-inspections excluded), count",
    )


@figure("venue_compliance_rate", "reopening", "command.view_inspection")
def venue_compliance_rate(user: Any, period: Period) -> Figure:
    rows = _compliance(user, period)
    checked = sum(r.points_checked for r in rows)
    if not checked:
        raise FigureUnavailable("no inspections in the period")
    rate = (Decimal(sum(r.points_compliant for r in rows)) * 100 / checked).quantize(Decimal("0.1"))
    return Figure(
        "venue_compliance_rate",
        "reopening",
        "检查项合格率",
        rate,
        "%",
        f"检查项合格率{rate}%",
        link("command:compliance", **{"from": period.start, "to": period.end}),
        "command.queries.compliance(user, from, to): compliant points / points checked × 100",
    )
