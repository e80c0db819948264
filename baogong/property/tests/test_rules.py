"""The pure rent-relief rules: size classes, policies, eligibility, exact amounts."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baogong.property import rules
from baogong.property.rules import LeaseFacts, Proof, TenantFacts

D = dt.date
SMALL_RETAILER = TenantFacts(industry="零售业", employees=12, revenue_wan=Decimal("150"), assets_wan=Decimal("80"))
FULL_YEAR = LeaseFacts(start=D(2021, 7, 1), end=D(2023, 6, 30), rent=Decimal("30000.00"), period_months=3)
MAY = D(2022, 6, 1)
APRIL = D(2022, 4, 10)


def q(lease=FULL_YEAR, tenant=SMALL_RETAILER, as_of=MAY, state_owned=True, proof=Proof()):
    return rules.quote(as_of=as_of, tenant=tenant, property_state_owned=state_owned, lease=lease, proof=proof)


# --- size classification (FACTS.md §1.3) -------------------------------------------------------
@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "assets", "expected"),
    [
        ("零售业", 10, "100", "0", "small"),
        ("零售业", 9, "1000", "0", "micro"),  # one indicator below the small bound is enough
        ("零售业", 50, "99", "0", "micro"),
        ("零售业", 50, "499", "0", "small"),  # medium needs both bounds: drops one class
        ("零售业", 50, "500", "0", "medium"),
        ("零售业", 300, "19999", "0", "medium"),  # under the SME ceiling on revenue
        ("零售业", 300, "20000", "0", "large"),  # at or above the ceiling on every indicator
        ("工业", 1000, "40000", "0", "large"),
        ("工业", 999, "40000", "0", "medium"),
        ("工业", 20, "300", "0", "small"),
        ("工业", 19, "300", "0", "micro"),
        ("建筑业", 0, "80000", "80000", "large"),
        ("建筑业", 0, "6000", "4999", "small"),
        ("建筑业", 0, "299", "300", "micro"),
        ("批发业", 5, "1000", "0", "small"),
        ("批发业", 20, "5000", "0", "medium"),
        ("仓储业", 100, "1000", "0", "medium"),
        ("仓储业", 99, "1000", "0", "small"),
        ("餐饮业", 9, "5000", "0", "micro"),
        ("住宿业", 300, "10000", "0", "large"),
        ("软件和信息技术服务业", 10, "50", "0", "small"),
        ("信息传输业", 2000, "100000", "0", "large"),
        ("房地产开发经营", 0, "100", "2000", "small"),
        ("房地产开发经营", 0, "200000", "9999", "medium"),
        ("物业管理", 100, "500", "0", "small"),
        ("租赁和商务服务业", 10, "0", "100", "small"),
        ("租赁和商务服务业", 300, "0", "120000", "large"),
        ("农林牧渔业", 0, "49", "0", "micro"),
        ("农林牧渔业", 0, "50", "0", "small"),
        ("农林牧渔业", 0, "20000", "0", "large"),
        ("其他未列明行业", 99, "0", "0", "small"),
        ("其他未列明行业", 100, "0", "0", "medium"),
        ("其他未列明行业", 300, "0", "0", "large"),
    ],
)
def test_classify_size_follows_the_2011_table(industry, employees, revenue, assets, expected):
    assert (
        rules.classify_size(industry, employees=employees, revenue_wan=Decimal(revenue), assets_wan=Decimal(assets))
        == expected
    )


def test_every_issue_industry_is_in_the_table():
    assert rules.INDUSTRIES == (
        "农林牧渔业",
        "工业",
        "建筑业",
        "批发业",
        "零售业",
        "交通运输业",
        "仓储业",
        "邮政业",
        "住宿业",
        "餐饮业",
        "信息传输业",
        "软件和信息技术服务业",
        "房地产开发经营",
        "物业管理",
        "租赁和商务服务业",
        "其他未列明行业",
    )


def test_classify_size_needs_the_indicators_of_its_industry():
    with pytest.raises(ValueError, match="assets_wan"):
        rules.classify_size("建筑业", employees=None, revenue_wan=Decimal(1), assets_wan=None)
    assert rules.classify_size("零售业", employees=3, revenue_wan=Decimal(10), assets_wan=None) == "micro"


# --- policies ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "code"),
    [
        (D(2022, 3, 30), None),
        (D(2022, 3, 31), "sh-2022-03"),
        (D(2022, 5, 28), "sh-2022-03"),
        (D(2022, 5, 29), "sh-2022-05"),
        (D(2022, 12, 31), "sh-2022-05"),
    ],
)
def test_policy_in_force_by_date(day, code):
    policy = rules.policy_in_force(day)
    assert (policy.code if policy else None) == code


# --- amounts -------------------------------------------------------------------------------------
def test_quarterly_rent_full_year_under_the_may_policy():
    result = q()
    assert result.as_dict() == {
        "eligible": True,
        "policy": "sh-2022-05",
        "size_class": "small",
        "months": 6,
        "covered_days": 365,
        "monthly_rent": "10000.00",
        "amount": "60000.00",
        "reasons": [],
    }


def test_march_policy_without_proof_gives_three_months():
    result = q(as_of=APRIL)
    assert (result.policy, result.months, result.amount) == ("sh-2022-03", 3, Decimal("30000.00"))


@pytest.mark.parametrize(
    "proof",
    [Proof(risk_area=True), Proof(sealed_or_closed=True), Proof(full_year_loss=True), Proof(True, True, True)],
)
def test_march_policy_with_one_proof_gives_six_months(proof):
    result = q(as_of=APRIL, proof=proof)
    assert (result.months, result.amount) == (6, Decimal("60000.00"))


def test_proof_is_not_needed_under_the_may_policy():
    assert q(proof=Proof(risk_area=True)).amount == q().amount == Decimal("60000.00")


def test_mid_year_start_is_pro_rated_by_days():
    lease = LeaseFacts(start=D(2022, 7, 1), end=D(2023, 6, 30), rent=Decimal("10000.00"), period_months=1)
    result = q(lease=lease)
    # 10000 × 6 × 184 ÷ (1 × 365) = 30246.5753…
    assert (result.covered_days, result.amount) == (184, Decimal("30246.58"))


def test_mid_year_end_with_quarterly_rent():
    lease = LeaseFacts(start=D(2021, 1, 1), end=D(2022, 3, 31), rent=Decimal("9000.00"), period_months=3)
    result = q(lease=lease)
    # 9000 × 6 × 90 ÷ (3 × 365) = 4438.3561…
    assert (result.covered_days, result.monthly_rent, result.amount) == (90, Decimal("3000.00"), Decimal("4438.36"))


def test_mid_year_start_and_end_in_the_same_year():
    lease = LeaseFacts(start=D(2022, 4, 15), end=D(2022, 10, 14), rent=Decimal("12345.67"), period_months=3)
    may, april = q(lease=lease), q(lease=lease, as_of=APRIL)
    assert may.covered_days == 183
    assert may.monthly_rent == Decimal("4115.22")
    assert may.amount == Decimal("12379.49")  # 12345.67 × 6 × 183 ÷ 1095
    assert april.amount == Decimal("6189.75")  # 12345.67 × 3 × 183 ÷ 1095 = 6189.7468…


def test_rent_free_months_are_excluded():
    lease = LeaseFacts(
        start=D(2022, 1, 1),
        end=D(2024, 12, 31),
        rent=Decimal("10000.00"),
        period_months=1,
        rent_free=[(D(2022, 1, 1), D(2022, 3, 31))],
    )
    result = q(lease=lease)
    assert (result.covered_days, result.amount) == (275, Decimal("45205.48"))


def test_overlapping_and_outside_rent_free_periods_count_once():
    lease = LeaseFacts(
        start=D(2022, 2, 1),
        end=D(2022, 12, 31),
        rent=Decimal("10000.00"),
        period_months=1,
        rent_free=[(D(2021, 12, 1), D(2022, 2, 10)), (D(2022, 2, 5), D(2022, 2, 20)), (D(2023, 1, 1), D(2023, 2, 1))],
    )
    # lease in 2022: 334 days; rent-free 02-01..02-20 = 20 days
    assert rules.covered_days(lease) == 314


def test_rounding_happens_once_at_the_end():
    lease = LeaseFacts(start=D(2022, 1, 1), end=D(2022, 12, 31), rent=Decimal("100.00"), period_months=3)
    result = q(lease=lease)
    assert result.monthly_rent == Decimal("33.33")
    assert result.amount == Decimal("200.00")  # not 6 × 33.33 = 199.98


def test_rounding_is_half_up_to_the_fen():
    lease = LeaseFacts(start=D(2022, 1, 1), end=D(2022, 12, 31), rent=Decimal("10.01"), period_months=6)
    result = q(lease=lease, as_of=APRIL)
    assert result.amount == Decimal("5.01")  # exactly 5.005: half up, not to even
    assert result.monthly_rent == Decimal("1.67")


def test_lease_outside_2022_gets_nothing():
    lease = LeaseFacts(start=D(2023, 1, 1), end=D(2023, 12, 31), rent=Decimal("10000.00"), period_months=1)
    result = q(lease=lease)
    assert (result.eligible, result.covered_days, result.amount) == (False, 0, Decimal("0.00"))
    assert [r.code for r in result.reasons] == ["no_days_in_2022"]


# --- eligibility ---------------------------------------------------------------------------------
def codes(result):
    return [r.code for r in result.reasons]


def test_sublessor_gets_nothing():
    result = q(tenant=TenantFacts(**{**SMALL_RETAILER.__dict__, "role": "sublessor"}))
    assert (result.eligible, result.amount, codes(result)) == (False, Decimal("0.00"), ["sublessor"])
    assert result.reasons[0].message == "转租方(二房东)不享受减免，应将减免传导至最终承租人"


def test_medium_enterprise_gets_nothing():
    tenant = TenantFacts(industry="零售业", employees=60, revenue_wan=Decimal("600"))
    result = q(tenant=tenant)
    assert (result.eligible, result.size_class, result.amount) == (False, "medium", Decimal("0.00"))
    assert [(r.code, r.message) for r in result.reasons] == [
        ("not_small_or_micro", "不属于小微企业或个体工商户(划型为中型企业)")
    ]


def test_large_enterprise_gets_nothing():
    tenant = TenantFacts(industry="餐饮业", employees=400, revenue_wan=Decimal("12000"))
    assert (q(tenant=tenant).size_class, codes(q(tenant=tenant))) == ("large", ["not_small_or_micro"])


def test_individual_business_is_its_own_class_and_eligible():
    result = q(tenant=TenantFacts(type="individual_business"))
    assert (result.eligible, result.size_class, result.amount) == (True, "individual", Decimal("60000.00"))


def test_micro_enterprise_of_any_industry_is_eligible():
    tenant = TenantFacts(industry="工业", employees=5, revenue_wan=Decimal("100"))
    assert (q(tenant=tenant).size_class, q(tenant=tenant).eligible) == ("micro", True)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"in_arrears": True}, "in_arrears"),
        ({"state_owned": True}, "tenant_state_owned"),
        ({"subsidiary_of_large_group": True}, "subsidiary_of_large_group"),
        ({"refused_epidemic_control": True}, "refused_epidemic_control"),
    ],
)
def test_each_exclusion_has_its_reason(change, code):
    result = q(tenant=TenantFacts(**{**SMALL_RETAILER.__dict__, **change}))
    assert (result.eligible, result.amount, codes(result)) == (False, Decimal("0.00"), [code])


def test_non_state_premises_get_nothing():
    result = q(state_owned=False)
    assert codes(result) == ["property_not_state_owned"]


def test_before_any_policy_nothing_applies():
    result = q(as_of=D(2022, 3, 1))
    assert (result.policy, result.months, result.amount, codes(result)) == (None, 0, Decimal("0.00"), ["no_policy"])


def test_every_failed_rule_is_listed():
    tenant = TenantFacts(
        industry="零售业",
        employees=60,
        revenue_wan=Decimal("600"),
        state_owned=True,
        subsidiary_of_large_group=True,
        role="sublessor",
        in_arrears=True,
    )
    result = q(tenant=tenant, state_owned=False)
    assert codes(result) == [
        "property_not_state_owned",
        "sublessor",
        "not_small_or_micro",
        "tenant_state_owned",
        "subsidiary_of_large_group",
        "in_arrears",
    ]


def test_top_up_is_the_difference_to_the_later_policy():
    approved = q(as_of=APRIL).amount
    later = q(as_of=MAY)
    assert rules.top_up_difference(approved, later) == Decimal("30000.00")
    assert rules.top_up_difference(later.amount, later) == Decimal("0.00")
    assert rules.top_up_difference(q(as_of=APRIL, proof=Proof(risk_area=True)).amount, later) == Decimal("0.00")


# --- invariants ----------------------------------------------------------------------------------
rents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2)
periods = st.sampled_from(rules.PERIOD_MONTHS)
months = st.sampled_from([3, 6])
days = st.integers(min_value=0, max_value=365)


@given(rent=rents, period=periods, months=months, a=days, b=days)
def test_amount_is_monotone_in_covered_days(rent, period, months, a, b):
    low, high = sorted((a, b))
    assert rules.relief_amount(rent, period, months, low) <= rules.relief_amount(rent, period, months, high)


@given(rent=rents, period=periods, months=months, d=days)
def test_amount_is_never_negative_nor_more_than_the_years_rent(rent, period, months, d):
    amount = rules.relief_amount(rent, period, months, d)
    assert Decimal(0) <= amount <= rules.relief_amount(rent, period, 12, 365)
    assert amount == amount.quantize(Decimal("0.01"))


tenants = st.builds(
    TenantFacts,
    type=st.sampled_from(rules.TENANT_TYPES),
    industry=st.sampled_from(rules.INDUSTRIES),
    employees=st.integers(min_value=0, max_value=5000),
    revenue_wan=st.decimals(min_value=0, max_value=300000, places=2),
    assets_wan=st.decimals(min_value=0, max_value=300000, places=2),
    state_owned=st.booleans(),
    subsidiary_of_large_group=st.booleans(),
    role=st.sampled_from(rules.TENANT_ROLES),
    in_arrears=st.booleans(),
)
dates = st.dates(min_value=D(2020, 1, 1), max_value=D(2024, 12, 31))


@given(tenant=tenants, start=dates, length=st.integers(0, 1500), rent=rents, period=periods, as_of=dates)
def test_quote_is_zero_when_not_eligible_and_never_negative(tenant, start, length, rent, period, as_of):
    lease = LeaseFacts(start=start, end=start + dt.timedelta(days=length), rent=rent, period_months=period)
    if rules.tenant_contradictions(tenant):
        # facts that cannot all be true are refused, never quoted (eligible or not)
        with pytest.raises(rules.FactsContradict):
            rules.quote(as_of=as_of, tenant=tenant, property_state_owned=True, lease=lease)
        return
    result = rules.quote(as_of=as_of, tenant=tenant, property_state_owned=True, lease=lease)
    assert result.amount >= 0
    assert 0 <= result.covered_days <= 365
    if not result.eligible:
        assert result.amount == Decimal("0.00")
        assert result.reasons
    else:
        assert result.reasons == []


# --- contradictions (issue 19.5) ------------------------------------------------------------------
SMALL_SHOP = LeaseFacts(start=D(2022, 1, 1), end=D(2022, 12, 31), rent=Decimal("60000"), period_months=12)


@pytest.mark.parametrize(
    ("facts", "uscc", "code", "field"),
    [
        (
            TenantFacts(type=rules.INDIVIDUAL_BUSINESS, subsidiary_of_large_group=True),
            "",
            "individual_business_subsidiary",
            "subsidiary_of_large_group",
        ),
        (
            TenantFacts(type=rules.INDIVIDUAL_BUSINESS, state_owned=True),
            "",
            "individual_business_state_owned",
            "state_owned",
        ),
        (TenantFacts(type=rules.INDIVIDUAL_BUSINESS), "91310113MA1FL2KQ20", "individual_business_uscc", "uscc"),
        (
            TenantFacts(type=rules.ENTERPRISE, industry="零售业", employees=5, revenue_wan=Decimal(50)),
            "92310113MA1K3B7C6G",
            "enterprise_uscc",
            "uscc",
        ),
    ],
)
def test_contradicting_tenant_facts_are_refused_with_the_field_and_reason(facts, uscc, code, field):
    with pytest.raises(rules.FactsContradict) as refused:
        rules.quote(as_of=D(2022, 6, 1), tenant=facts, property_state_owned=True, lease=SMALL_SHOP, uscc=uscc)
    [found] = refused.value.contradictions
    assert (found.code, found.field) == (code, field)
    assert found.message and found.message_en


def test_rent_free_outside_the_lease_is_a_contradiction():
    lease = LeaseFacts(
        start=D(2022, 1, 1),
        end=D(2022, 6, 30),
        rent=Decimal("30000"),
        period_months=3,
        rent_free=[(D(2022, 8, 1), D(2022, 8, 31))],
    )
    with pytest.raises(rules.FactsContradict) as refused:
        rules.quote(
            as_of=D(2022, 6, 1),
            tenant=TenantFacts(type=rules.INDIVIDUAL_BUSINESS),
            property_state_owned=True,
            lease=lease,
        )
    assert [c.code for c in refused.value.contradictions] == ["rent_free_outside_lease"]


def test_consistent_individual_business_is_still_quoted():
    result = rules.quote(
        as_of=D(2022, 6, 1),
        tenant=TenantFacts(type=rules.INDIVIDUAL_BUSINESS),
        property_state_owned=True,
        lease=SMALL_SHOP,
        uscc="92310113MA1K3B7C6G",
    )
    assert result.eligible and result.amount == Decimal("30000.00")


@pytest.mark.parametrize(
    ("on", "rent_free", "days"),
    [
        (D(2022, 8, 31), (), 122),  # 2022-09-01 .. 2022-12-31
        (D(2022, 12, 31), (), 0),  # no 2022 day left
        (D(2021, 12, 31), (), 365),
        (D(2022, 8, 31), ((D(2022, 9, 1), D(2022, 12, 31)),), 0),  # the rest of 2022 rent-free
        (D(2022, 8, 31), ((D(2022, 8, 1), D(2022, 9, 10)),), 112),
        (D(2023, 6, 30), (), 0),  # the lease's end
    ],
)
def test_covered_days_after_a_last_day(on, rent_free, days):
    lease = LeaseFacts(
        start=FULL_YEAR.start, end=FULL_YEAR.end, rent=FULL_YEAR.rent, period_months=3, rent_free=rent_free
    )
    assert rules.covered_days_after(lease, on) == days
