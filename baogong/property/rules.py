"""Rent-relief rules (FACTS.md §1), pure: no database, no Django models.

* Size classification by 工信部联企业〔2011〕300号 (§1.3): large if at or above the SME ceiling
  on every indicator the industry uses; medium and small need both lower bounds; micro
  otherwise; individual businesses (个体工商户) are their own class.
* Dated policies as data (:class:`PolicyTerms`); ``sh-2022-03`` and ``sh-2022-05`` are seeded.
* Eligibility: every failed rule is reported with a stable code and Chinese (+ English) text.
* Amount (§1.4): covered days = days of 2022 inside the lease minus rent-free days;
  amount = rent × months × covered days ÷ (period months × 365), exact (``Fraction``), rounded
  half up to the fen only at the end. The monthly rent is reported rounded to the fen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

YEAR = 2022
YEAR_START = dt.date(YEAR, 1, 1)
YEAR_END = dt.date(YEAR, 12, 31)
DAYS_IN_YEAR = 365
PERIOD_MONTHS = (1, 3, 6, 12)

# --- size classification ---------------------------------------------------------------------
EMPLOYEES = "employees"
REVENUE = "revenue_wan"
ASSETS = "assets_wan"

MICRO = "micro"
SMALL = "small"
MEDIUM = "medium"
LARGE = "large"
INDIVIDUAL = "individual"
SIZE_CLASSES = (MICRO, SMALL, MEDIUM, LARGE, INDIVIDUAL)
SIZE_LABELS = {MICRO: "微型企业", SMALL: "小型企业", MEDIUM: "中型企业", LARGE: "大型企业", INDIVIDUAL: "个体工商户"}

ENTERPRISE = "enterprise"
INDIVIDUAL_BUSINESS = "individual_business"
TENANT_TYPES = (ENTERPRISE, INDIVIDUAL_BUSINESS)
FINAL_OCCUPIER = "final_occupier"
SUBLESSOR = "sublessor"
TENANT_ROLES = (FINAL_OCCUPIER, SUBLESSOR)


@dataclass(frozen=True)
class SizeStandard:
    """One row of the 2011 table: thresholds per indicator (万元 for money)."""

    industry: str
    ceiling: dict[str, int]  # SME if below ANY of these; large if at or above all
    medium: dict[str, int]  # both lower bounds
    small: dict[str, int]  # both lower bounds

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.ceiling, *self.medium, *self.small]))


def _std(industry: str, ceiling: dict[str, int], medium: dict[str, int], small: dict[str, int]) -> SizeStandard:
    return SizeStandard(industry, ceiling, medium, small)


Y, R, A = EMPLOYEES, REVENUE, ASSETS
SIZE_TABLE: dict[str, SizeStandard] = {
    s.industry: s
    for s in [
        _std("农林牧渔业", {R: 20000}, {R: 500}, {R: 50}),
        _std("工业", {Y: 1000, R: 40000}, {Y: 300, R: 2000}, {Y: 20, R: 300}),
        _std("建筑业", {R: 80000, A: 80000}, {R: 6000, A: 5000}, {R: 300, A: 300}),
        _std("批发业", {Y: 200, R: 40000}, {Y: 20, R: 5000}, {Y: 5, R: 1000}),
        _std("零售业", {Y: 300, R: 20000}, {Y: 50, R: 500}, {Y: 10, R: 100}),
        _std("交通运输业", {Y: 1000, R: 30000}, {Y: 300, R: 3000}, {Y: 20, R: 200}),
        _std("仓储业", {Y: 200, R: 30000}, {Y: 100, R: 1000}, {Y: 20, R: 100}),
        _std("邮政业", {Y: 1000, R: 30000}, {Y: 300, R: 2000}, {Y: 20, R: 100}),
        _std("住宿业", {Y: 300, R: 10000}, {Y: 100, R: 2000}, {Y: 10, R: 100}),
        _std("餐饮业", {Y: 300, R: 10000}, {Y: 100, R: 2000}, {Y: 10, R: 100}),
        _std("信息传输业", {Y: 2000, R: 100000}, {Y: 100, R: 1000}, {Y: 10, R: 100}),
        _std("软件和信息技术服务业", {Y: 300, R: 10000}, {Y: 100, R: 1000}, {Y: 10, R: 50}),
        _std("房地产开发经营", {R: 200000, A: 10000}, {R: 1000, A: 5000}, {R: 100, A: 2000}),
        _std("物业管理", {Y: 1000, R: 5000}, {Y: 300, R: 1000}, {Y: 100, R: 500}),
        _std("租赁和商务服务业", {Y: 300, A: 120000}, {Y: 100, A: 8000}, {Y: 10, A: 100}),
        _std("其他未列明行业", {Y: 300}, {Y: 100}, {Y: 10}),
    ]
}
del Y, R, A
INDUSTRIES: tuple[str, ...] = tuple(SIZE_TABLE)


def _meets(values: dict[str, Decimal], bounds: dict[str, int]) -> bool:
    return all(values[key] >= bounds[key] for key in bounds)


def classify_size(
    industry: str, *, employees: int | None, revenue_wan: Decimal | None, assets_wan: Decimal | None
) -> str:
    """The size class of an enterprise; raises ``KeyError`` for an unknown industry and
    ``ValueError`` when an indicator the industry uses is missing."""
    standard = SIZE_TABLE[industry]
    given: dict[str, Decimal | None] = {
        EMPLOYEES: Decimal(employees) if employees is not None else None,
        REVENUE: revenue_wan,
        ASSETS: assets_wan,
    }
    values: dict[str, Decimal] = {}
    for key in standard.indicators:
        value = given[key]
        if value is None:
            raise ValueError(key)
        values[key] = value
    if _meets(values, standard.ceiling):
        return LARGE
    if _meets(values, standard.medium):
        return MEDIUM
    if _meets(values, standard.small):
        return SMALL
    return MICRO


def required_indicators(industry: str) -> tuple[str, ...]:
    return SIZE_TABLE[industry].indicators


# --- policies ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyTerms:
    """A dated rent-relief policy. ``effective_to`` is inclusive; ``None`` means open-ended."""

    code: str
    name: str
    effective_from: dt.date
    effective_to: dt.date | None
    base_months: int
    extra_months_with_proof: int = 0

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def months(self, proof: Proof) -> int:
        extra = self.extra_months_with_proof if proof.any() else 0
        return self.base_months + extra


SH_2022_03 = PolicyTerms(
    code="sh-2022-03",
    name="上海市国有企业减免小微企业和个体工商户房屋租金实施细则(2022-03-31)",
    effective_from=dt.date(2022, 3, 31),
    effective_to=dt.date(2022, 5, 28),
    base_months=3,
    extra_months_with_proof=3,
)
SH_2022_05 = PolicyTerms(
    code="sh-2022-05",
    name="上海市加快经济恢复和重振行动方案(2022-05-29): 免除6个月租金，免予提交受疫情影响证明",
    effective_from=dt.date(2022, 5, 29),
    effective_to=None,
    base_months=6,
    extra_months_with_proof=0,
)
DEFAULT_POLICIES: tuple[PolicyTerms, ...] = (SH_2022_03, SH_2022_05)


def policy_in_force(on: dt.date, policies: Iterable[PolicyTerms] = DEFAULT_POLICIES) -> PolicyTerms | None:
    """The policy in force on ``on``; with overlaps, the one that started last."""
    candidates = [p for p in policies if p.in_force(on)]
    return max(candidates, key=lambda p: (p.effective_from, p.code)) if candidates else None


# --- input -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Proof:
    """The three proofs of the 2022-03 policy's second tier; one is enough."""

    risk_area: bool = False
    sealed_or_closed: bool = False
    full_year_loss: bool = False

    def any(self) -> bool:
        return self.risk_area or self.sealed_or_closed or self.full_year_loss


@dataclass(frozen=True)
class TenantFacts:
    type: str = ENTERPRISE
    industry: str | None = None
    employees: int | None = None
    revenue_wan: Decimal | None = None
    assets_wan: Decimal | None = None
    state_owned: bool = False
    subsidiary_of_large_group: bool = False
    role: str = FINAL_OCCUPIER
    in_arrears: bool = False
    refused_epidemic_control: bool = False


@dataclass(frozen=True)
class LeaseFacts:
    start: dt.date
    end: dt.date
    rent: Decimal  # per payment period
    period_months: int
    rent_free: Sequence[tuple[dt.date, dt.date]] = ()


@dataclass(frozen=True)
class Reason:
    code: str
    message: str  # Chinese
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "message_en": self.message_en}


REASONS: dict[str, tuple[str, str]] = {
    "no_policy": ("申请日期没有有效的租金减免政策", "no rent-relief policy is in force on that date"),
    "property_not_state_owned": ("房屋不是国有房屋，不适用国有房屋租金减免", "the premises are not state-owned"),
    "sublessor": (
        "转租方(二房东)不享受减免，应将减免传导至最终承租人",
        "a sub-lessor gets no relief and must pass it down to the final occupier",
    ),
    "not_small_or_micro": (
        "不属于小微企业或个体工商户(划型为{size})",
        "not a small or micro enterprise or individual business (classified {size_en})",
    ),
    "tenant_state_owned": ("承租人为国有企业，不享受减免", "the tenant is a state-owned enterprise"),
    "subsidiary_of_large_group": (
        "承租人为大中型企业集团的下属企业，不享受减免",
        "the tenant is a subsidiary of a large or medium group",
    ),
    "in_arrears": ("承租人欠缴租金，清缴后方可减免", "the tenant is in arrears; relief is held until paid"),
    "refused_epidemic_control": (
        "承租人不配合疫情防控工作，整改后方可减免",
        "the tenant did not cooperate with epidemic control; relief is held until cured",
    ),
    "no_days_in_2022": (
        "租期在2022年内没有应付足额租金的天数",
        "the lease has no days of full rent due in 2022",
    ),
}


# --- contradictions -----------------------------------------------------------------------------
# Facts that cannot all be true refuse the quote with a field error and its reason, instead of being
# quoted (FACTS.md §1.2: 个体工商户 is a business licence whose registered type is 个体工商户, a class
# of its own; §2.1: the USCC's first two characters 92 mark exactly that registered type).
CONTRADICTIONS: dict[str, tuple[str, str, str]] = {  # code: (field, Chinese, English)
    "individual_business_subsidiary": (
        "subsidiary_of_large_group",
        "个体工商户不可能是大中型企业集团的下属企业，申报信息自相矛盾，请更正后再测算",
        "an individual business cannot be a subsidiary of a large or medium group; the facts contradict "
        "each other — correct them",
    ),
    "individual_business_state_owned": (
        "state_owned",
        "个体工商户不可能是国有企业，申报信息自相矛盾，请更正后再测算",
        "an individual business cannot be state-owned; the facts contradict each other — correct them",
    ),
    "individual_business_uscc": (
        "uscc",
        "统一社会信用代码{uscc}不是个体工商户的代码(应以92开头)，与承租人类型“个体工商户”矛盾",
        "USCC {uscc} is not an individual business's code (those start with 92), yet the tenant is an "
        "individual business",
    ),
    "enterprise_uscc": (
        "uscc",
        "统一社会信用代码{uscc}以92开头，登记类型为个体工商户，与承租人类型“企业”矛盾",
        "USCC {uscc} starts with 92 (registered as an individual business), yet the tenant is an enterprise",
    ),
    "rent_free_outside_lease": (
        "rent_free",
        "免租期{start}至{end}不在租期内",
        "the rent-free period {start} to {end} lies outside the lease",
    ),
}


@dataclass(frozen=True)
class Contradiction:
    code: str
    field: str
    message: str  # Chinese
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "field": self.field, "message": self.message, "message_en": self.message_en}


def _contradiction(code: str, **params: str) -> Contradiction:
    field_name, zh, en = CONTRADICTIONS[code]
    return Contradiction(code, field_name, zh.format(**params), en.format(**params))


def tenant_contradictions(tenant: TenantFacts, *, uscc: str = "") -> list[Contradiction]:
    """Facts about a tenant that cannot all be true (each names the field to correct)."""
    found: list[Contradiction] = []
    code = uscc.strip().upper()
    if tenant.type == INDIVIDUAL_BUSINESS:
        if tenant.subsidiary_of_large_group:
            found.append(_contradiction("individual_business_subsidiary"))
        if tenant.state_owned:
            found.append(_contradiction("individual_business_state_owned"))
        if code and not code.startswith("92"):
            found.append(_contradiction("individual_business_uscc", uscc=code))
    elif code.startswith("92"):
        found.append(_contradiction("enterprise_uscc", uscc=code))
    return found


def lease_contradictions(lease: LeaseFacts) -> list[Contradiction]:
    """Facts about a lease that cannot all be true."""
    return [
        _contradiction("rent_free_outside_lease", start=a.isoformat(), end=b.isoformat())
        for a, b in lease.rent_free
        if _clip(a, b, lease.start, lease.end) is None
    ]


class FactsContradict(ValueError):
    """The facts given for a quote contradict each other; nothing is quoted."""

    def __init__(self, contradictions: list[Contradiction]) -> None:
        self.contradictions = contradictions
        super().__init__("; ".join(c.message_en for c in contradictions))


def reason(code: str, **params: str) -> Reason:
    zh, en = REASONS[code]
    return Reason(code, zh.format(**params), en.format(**params))


# --- days and amounts --------------------------------------------------------------------------
def _clip(start: dt.date, end: dt.date, lo: dt.date, hi: dt.date) -> tuple[dt.date, dt.date] | None:
    s, e = max(start, lo), min(end, hi)
    return (s, e) if s <= e else None


def _days(span: tuple[dt.date, dt.date] | None) -> int:
    return 0 if span is None else (span[1] - span[0]).days + 1


def lease_days_in_year(start: dt.date, end: dt.date) -> int:
    return _days(_clip(start, end, YEAR_START, YEAR_END))


def rent_free_days_in_year(start: dt.date, end: dt.date, rent_free: Iterable[tuple[dt.date, dt.date]]) -> int:
    """Days of 2022 inside the lease that are contractually rent-free (overlaps counted once)."""
    window = _clip(start, end, YEAR_START, YEAR_END)
    if window is None:
        return 0
    spans = sorted(s for s in (_clip(a, b, window[0], window[1]) for a, b in rent_free) if s is not None)
    total = 0
    current: tuple[dt.date, dt.date] | None = None
    for s, e in spans:
        if current is None or s > current[1] + dt.timedelta(days=1):
            total += _days(current)
            current = (s, e)
        else:
            current = (current[0], max(current[1], e))
    return total + _days(current)


def covered_days(lease: LeaseFacts) -> int:
    return lease_days_in_year(lease.start, lease.end) - rent_free_days_in_year(lease.start, lease.end, lease.rent_free)


def covered_days_after(lease: LeaseFacts, on: dt.date) -> int:
    """The lease's covered days (relief is paid for) after ``on``: what relief given on the lease
    would overpay if the lease ended on ``on``."""
    after = on + dt.timedelta(days=1)
    if after > lease.end:
        return 0
    start = max(after, lease.start)
    return lease_days_in_year(start, lease.end) - rent_free_days_in_year(start, lease.end, lease.rent_free)


def fen_half_up(value: Fraction) -> Decimal:
    """Round an exact non-negative amount half up to the fen."""
    if value < 0:
        return -fen_half_up(-value)
    scaled = value * 100
    fen = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(fen) / 100 if fen else Decimal("0.00")


def _fen(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def monthly_rent(rent: Decimal, period_months: int) -> Decimal:
    return _fen(fen_half_up(Fraction(rent) / period_months))


def relief_amount(rent: Decimal, period_months: int, months: int, days: int) -> Decimal:
    """rent × months × days ÷ (period months × 365), exact, rounded half up to the fen once."""
    if months <= 0 or days <= 0:
        return Decimal("0.00")
    exact = Fraction(rent) * months * days / (period_months * DAYS_IN_YEAR)
    return _fen(fen_half_up(exact))


# --- the quote ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Quote:
    eligible: bool
    policy: str | None
    size_class: str
    months: int
    covered_days: int
    monthly_rent: Decimal
    amount: Decimal
    reasons: list[Reason] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "eligible": self.eligible,
            "policy": self.policy,
            "size_class": self.size_class,
            "months": self.months,
            "covered_days": self.covered_days,
            "monthly_rent": str(self.monthly_rent),
            "amount": str(self.amount),
            "reasons": [r.as_dict() for r in self.reasons],
        }


def size_class_of(tenant: TenantFacts) -> str:
    if tenant.type == INDIVIDUAL_BUSINESS:
        return INDIVIDUAL
    if tenant.industry is None:
        raise ValueError("industry")
    return classify_size(
        tenant.industry, employees=tenant.employees, revenue_wan=tenant.revenue_wan, assets_wan=tenant.assets_wan
    )


def eligibility_reasons(
    tenant: TenantFacts, property_state_owned: bool, size_class: str, policy: PolicyTerms | None, days: int
) -> list[Reason]:
    """Every rule that fails, in a fixed order."""
    reasons: list[Reason] = []
    if policy is None:
        reasons.append(reason("no_policy"))
    if not property_state_owned:
        reasons.append(reason("property_not_state_owned"))
    if tenant.role == SUBLESSOR:
        reasons.append(reason("sublessor"))
    if size_class in (MEDIUM, LARGE):
        reasons.append(
            reason("not_small_or_micro", size=SIZE_LABELS[size_class], size_en=size_class),
        )
    if tenant.type == ENTERPRISE and tenant.state_owned:
        reasons.append(reason("tenant_state_owned"))
    if tenant.type == ENTERPRISE and tenant.subsidiary_of_large_group:
        reasons.append(reason("subsidiary_of_large_group"))
    if tenant.in_arrears:
        reasons.append(reason("in_arrears"))
    if tenant.refused_epidemic_control:
        reasons.append(reason("refused_epidemic_control"))
    if days <= 0:
        reasons.append(reason("no_days_in_2022"))
    return reasons


def quote(
    *,
    as_of: dt.date,
    tenant: TenantFacts,
    property_state_owned: bool,
    lease: LeaseFacts,
    proof: Proof = Proof(),
    policies: Iterable[PolicyTerms] = DEFAULT_POLICIES,
    policy: PolicyTerms | None = None,
    uscc: str = "",
) -> Quote:
    """The relief a tenant gets under the policy in force on ``as_of`` (or the one given).

    Raises :class:`FactsContradict` (nothing quoted) when the facts contradict each other."""
    contradictions = [*tenant_contradictions(tenant, uscc=uscc), *lease_contradictions(lease)]
    if contradictions:
        raise FactsContradict(contradictions)
    chosen = policy if policy is not None else policy_in_force(as_of, policies)
    size = size_class_of(tenant)
    days = covered_days(lease)
    months = chosen.months(proof) if chosen is not None else 0
    reasons = eligibility_reasons(tenant, property_state_owned, size, chosen, days)
    eligible = not reasons
    amount = relief_amount(lease.rent, lease.period_months, months, days) if eligible else Decimal("0.00")
    return Quote(
        eligible=eligible,
        policy=chosen.code if chosen is not None else None,
        size_class=size,
        months=months,
        covered_days=max(days, 0),
        monthly_rent=monthly_rent(lease.rent, lease.period_months),
        amount=amount,
        reasons=reasons,
    )


def top_up_difference(approved_amount: Decimal, later: Quote) -> Decimal:
    """What a later, more generous policy adds to an approved amount (never negative)."""
    if not later.eligible:
        return Decimal("0.00")
    return _fen(max(later.amount - approved_amount, Decimal("0")))
