"""Demand and supply of the district programme, modelled (issue 21, point 1).

Demand: every recipient asks for the people it serves that need supplies today × the per-head
entitlement (the distribution ``Norm`` of each item, in cases per person per request):

- a field hospital: its beds (``Site.headcount``) × occupancy, which follows the district's case
  curve (``cases``: a wave peaking in mid-April and falling through May);
- a care site (elderly home, isolation point, quarantine hotel): everyone it houses;
- a street/town office or bureau: the share of the people it serves that is in sealed compounds
  or on the front line (``OFFICE_COVERAGE``), rising with the case curve and surging ×1.6 in an
  area where a positive test was recorded in the last ten days (a lockdown there).

The entitlement (headcount × norm) caps every line, so a surging site is capped, not served more.

Supply: the purchaser orders every third day what the forecast says the next three days need plus
every shortfall it knows of (cancelled remainders). Suppliers deliver late and short in the first
weeks ("物资不足、交通不畅、采购无门"): see ``supplier_terms``. Whatever a delivery lacks is cancelled
and ordered again in the next round, so the backlog is carried over and caught up in May.

Everything random comes from the scenario's one ``random.Random(seed)``.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from baogong.demo.scenario import CARE_SITES, CASE_ITEMS, HOSPITALS

if TYPE_CHECKING:
    from baogong.demo.scenario import Scenario

# Per-head entitlement per request, in cases (a case of N95 holds 200 masks: 0.0075 case = 1.5
# masks per person per request). Proportional to the warehouse's historical mix (CASE_ITEMS weight).
NORM_PER_HEAD_TOTAL = Decimal("0.05")
# Share of an office's served population in sealed compounds or on the front line, at the peak.
OFFICE_COVERAGE = 0.046
SURGE = 1.6  # an area with a positive test in the last ten days
SURGE_DAYS = 10
# People served by each street/town office (7th census 2020, rounded) and, for the bureaus,
# the front-line staff of their system the programme equips.
POPULATION = {
    "SO-310113003": 95_000,
    "SO-310113007": 100_000,
    "SO-310113008": 150_000,
    "SO-310113101": 180_000,
    "SO-310113102": 290_000,
    "SO-310113103": 230_000,
    "SO-310113104": 130_000,
    "SO-310113106": 40_000,
    "SO-310113109": 390_000,
    "SO-310113111": 110_000,
    "SO-310113112": 110_000,
    "SO-310113113": 80_000,
    "GB-WJW": 60_000,
    "GB-JW": 20_000,
    "GB-GZW": 30_000,
    "GB-SWW": 20_000,
    "GB-NYW": 10_000,
}
ORDER_EVERY = 3  # the purchaser orders every third day, for three days


def cases(index: int) -> float:
    """The district's epidemic intensity on day ``index`` (0…1): a wave peaking on 04-17."""
    return math.exp(-(((index - 16) / 13.0) ** 2))


def occupancy(index: int) -> float:
    """Share of a field hospital's beds in use: 15% when it opens, full at the peak."""
    return min(1.0, 0.15 + 0.95 * cases(index))


def supplier_terms(s: Scenario, index: int, local: bool) -> tuple[int, float]:
    """(days late, share delivered) of an order placed on day ``index``: in the first three weeks
    roads are closed and factories short (2–5 days, 40–75%; +2 days from outside Shanghai), then
    1–3 days and 75–95%, and from May 1–2 days and all of it."""
    extra = 0 if local else 2
    if index < 21:
        return s.rng.randint(2, 5) + extra, s.rng.uniform(0.40, 0.75)
    if index < 30:
        return s.rng.randint(1, 3) + extra // 2, s.rng.uniform(0.75, 0.95)
    return s.rng.randint(1, 2), 1.0


def norms() -> dict[str, Decimal]:
    weights = {row[0]: row[9] for row in CASE_ITEMS}
    total = sum(weights.values())
    return {code: (NORM_PER_HEAD_TOTAL * w / total).quantize(Decimal("0.0001")) for code, w in weights.items()}


def set_up(s: Scenario) -> None:
    """The per-head norms (distribution) and the people each office serves (orgs), through actions."""
    from baogong.catalog.models import Item
    from baogong.distribution.actions import set_norm
    from baogong.distribution.models import Norm
    from baogong.orgs.actions import update_site
    from baogong.orgs.models import Site

    commander = s.user("commander")
    for code, per_head in norms().items():
        item = Item.objects.get(code=code)
        if not Norm.objects.filter(item=item).exists():
            set_norm(item, per_head, actor=commander, note="区防疫物资人均配额(每次申领)")
    for site in Site.objects.filter(code__in=POPULATION).order_by("code"):
        if site.headcount != POPULATION[site.code]:
            update_site(site, {"headcount": POPULATION[site.code]}, actor=s.system)


def surging_areas(day: dt.date) -> set[int]:
    """Areas with a positive test in the ten days up to ``day`` (the same for every recipient of the day)."""
    from baogong.people.models import HealthTest

    since = day - dt.timedelta(days=SURGE_DAYS)
    return set(
        HealthTest.objects.filter(result="positive", taken_at__date__gt=since, taken_at__date__lte=day)
        .exclude(site__area__isnull=True)
        .values_list("site__area_id", flat=True)
    )


def people_in_need(site: Any, index: int, surging: set[int]) -> float:
    headcount = site.headcount or 0
    if site.code in HOSPITALS:
        return headcount * occupancy(index)
    if site.code in CARE_SITES:
        return float(headcount)
    need = headcount * OFFICE_COVERAGE * (0.35 + 0.65 * cases(index))
    return need * (SURGE if site.area_id in surging else 1.0)


def demand(
    s: Scenario, site: Any, index: int, day: dt.date, per: dict[str, Decimal], surging: set[int] | None = None
) -> list[tuple[str, int]]:
    """Cases of each item the site asks for today (before the entitlement cap); ``surging``: the
    day's :func:`surging_areas` when already read."""
    people = people_in_need(site, index, surging_areas(day) if surging is None else surging)
    lines = []
    for code, per_head in per.items():
        qty = int(people * float(per_head) * s.rng.uniform(0.85, 1.2))
        if qty > 0:
            lines.append((code, qty))
    return lines


def forecast(index: int, offices: list[Any], per_head: Decimal) -> float:
    """Expected cases of one item over the next ORDER_EVERY days (no surge, no noise)."""
    total = 0.0
    for d in range(index, index + ORDER_EVERY):
        for site in offices:
            total += people_in_need(site, d, set()) * float(per_head) / 3  # an office asks every third day
    return total


def forecast_all(s: Scenario, index: int) -> dict[str, float]:
    from baogong.orgs.models import Site

    per = norms()
    sites = list(Site.objects.filter(kind__in=["street_office", "government_bureau"]))
    hospitals = list(Site.objects.filter(code__in=HOSPITALS))
    care = list(Site.objects.filter(code__in=CARE_SITES))
    result = {}
    for code, per_head in per.items():
        total = forecast(index, sites, per_head)
        for d in range(index, index + ORDER_EVERY):
            total += sum(people_in_need(h, d, set()) for h in hospitals) * float(per_head) / 2
            total += sum(people_in_need(c, d, set()) for c in care) * float(per_head) / 7
        result[code] = total
    return result


def summarise(s: Scenario) -> None:
    """Fill rate and unmet demand by tier, from the allocation runs and the request lines."""
    from django.db.models import Count, Sum
    from django.utils import timezone

    from baogong.distribution.models import AllocationLine, RequestLine
    from baogong.distribution.queries import unmet_by_tier

    lines = AllocationLine.objects.filter(run__status="confirmed", request_line__item__code__startswith="SC-")
    o = s.outcome
    o.pro_rata_lines = lines.filter(basis="pro_rata").values("request_line").distinct().count()
    cut = lines.filter(basis__in=["after_shortage", "no_stock"], qty=0)
    o.cut_lines = cut.values("request_line").distinct().count()
    o.capped_lines = lines.filter(basis="capped").values("request_line").distinct().count()
    # carried over: a line served in parts by more than one day's run
    o.carried_over_lines = (
        lines.filter(qty__gt=0)
        .values("request_line")
        .annotate(runs=Count("run", distinct=True))
        .filter(runs__gt=1)
        .count()
    )
    days = {
        timezone.localtime(at).date()
        for at in lines.filter(basis="pro_rata").values_list("run__confirmed_at", flat=True).distinct()
        if at is not None
    }
    o.pro_rata_days = len(days)
    rows = (
        RequestLine.objects.filter(item__code__startswith="SC-", approved_qty__isnull=False)
        .exclude(request__status__in=["rejected", "cancelled"])
        .values_list("request__recipient__priority_tier")
        .annotate(wanted=Sum("approved_qty"), got=Sum("delivered_qty"))
        .order_by("request__recipient__priority_tier")
    )
    o.requested_by_tier = {tier: int(wanted or 0) for tier, wanted, _got in rows}
    o.delivered_by_tier = {tier: int(got or 0) for tier, _wanted, got in rows}
    wanted_total = sum(o.requested_by_tier.values())
    o.fill_rate = round(sum(o.delivered_by_tier.values()) / wanted_total, 4) if wanted_total else 0.0
    o.unmet_by_tier = unmet_by_tier(s.user("commander"), timezone.now())
