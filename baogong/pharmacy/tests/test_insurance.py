"""The insurance split under the default Shanghai 2022 policy, and the quote API contract."""

from decimal import Decimal

import pytest

from baogong.pharmacy.errors import PolicyNotFound
from baogong.pharmacy.insurance import QuoteLine, policy_for, split_payment
from baogong.pharmacy.models import InsurancePolicy

URL = "/api/v1/pharmacy/insurance-quote"
D = Decimal


def quote(api, lines, fees="0.00", current="0.00", prior="0.00", **extra):
    body = {"lines": lines, "fees": fees, "account": {"current_year": current, "prior_years": prior}, **extra}
    return api.post(URL, body, format="json")


def line(drug, price, qty, cls):
    return {"drug": drug, "unit_price": price, "qty": qty, "class": cls}


@pytest.fixture
def api(api_for):
    return api_for("pharmacist")


def test_default_policy_is_seeded_with_the_issue_rates(db):
    policy = policy_for()
    assert policy.code == "SH-EMPLOYEE-PHARMACY-2022"
    assert (policy.class_a_eligible_percent, policy.class_b_eligible_percent) == (D("100.00"), D("90.00"))
    assert (policy.unlisted_eligible_percent, policy.pooled_fund_percent, policy.fees_eligible) == (
        D("0.00"),
        D("0.00"),
        False,
    )


def test_current_year_account_runs_out_mid_order_then_prior_years_pays(api):
    # given 2 × 12.50 class A (25.00 eligible) and 33.33 class B (29.997 → 30.00 eligible), fees 5.00
    response = quote(api, [line("D1", "12.50", 2, "A"), line("D2", "33.33", 1, "B")], "5.00", "20.00", "100.00")
    # then 20.00 comes from the current year and the remaining 35.00 eligible from prior years
    assert response.status_code == 200
    assert response.json() == {
        "total": "63.33",
        "eligible": "55.00",
        "personal_current": "20.00",
        "personal_prior": "35.00",
        "pooled": "0.00",
        "self_pay": "8.33",
    }


def test_both_accounts_run_out_mid_order(api):
    response = quote(api, [line("D1", "100.00", 3, "A")], "0.00", "120.50", "30.25")
    assert response.json() == {
        "total": "300.00",
        "eligible": "300.00",
        "personal_current": "120.50",
        "personal_prior": "30.25",
        "pooled": "0.00",
        "self_pay": "149.25",
    }


def test_class_b_eligible_part_rounds_half_up_to_the_fen(api):
    # 0.05 × 1 = 0.05; 90 % = 0.045 → 0.05 (half up, not banker's 0.04)
    response = quote(api, [line("D2", "0.05", 1, "B")], current="10.00")
    assert response.json()["eligible"] == "0.05"
    # 12.35 × 1 × 90 % = 11.115 → 11.12
    response = quote(api, [line("D2", "12.35", 1, "B")], current="10.00", prior="10.00")
    assert response.json() == {
        "total": "12.35",
        "eligible": "11.12",
        "personal_current": "10.00",
        "personal_prior": "1.12",
        "pooled": "0.00",
        "self_pay": "1.23",
    }


def test_line_amount_rounds_half_up_to_the_fen_before_the_split(api):
    # 0.3333 × 3 = 0.9999 → 1.00 ; 0.125 × 1 = 0.125 → 0.13
    response = quote(api, [line("D1", "0.3333", 3, "A"), line("D3", "0.125", 1, "A")], current="50.00")
    assert response.json()["total"] == "1.13"
    assert response.json()["eligible"] == "1.13"
    assert response.json()["self_pay"] == "0.00"


def test_unlisted_lines_and_fees_are_self_paid(api):
    response = quote(api, [line("D9", "18.80", 2, "C")], "6.00", "500.00", "500.00")
    assert response.json() == {
        "total": "43.60",
        "eligible": "0.00",
        "personal_current": "0.00",
        "personal_prior": "0.00",
        "pooled": "0.00",
        "self_pay": "43.60",
    }


def test_accounts_bigger_than_eligible_pay_only_the_eligible_part(api):
    response = quote(api, [line("D1", "10.00", 1, "A"), line("D9", "4.00", 1, "C")], "3.00", "1000.00", "1000.00")
    assert response.json() == {
        "total": "17.00",
        "eligible": "10.00",
        "personal_current": "10.00",
        "personal_prior": "0.00",
        "pooled": "0.00",
        "self_pay": "7.00",
    }


def test_named_policy_with_pooled_fund_and_eligible_fees_is_used(api, db):
    # given a (hypothetical) outpatient mutual-aid policy configured in the table
    InsurancePolicy.objects.create(
        code="TEST-POOLED",
        name="pooled",
        valid_from="2023-01-01",
        class_a_eligible_percent=D("100"),
        class_b_eligible_percent=D("80"),
        unlisted_eligible_percent=D("0"),
        fees_eligible=True,
        pooled_fund_percent=D("50"),
    )
    response = quote(api, [line("D2", "10.01", 1, "B")], "2.00", "1.00", "0.00", policy="TEST-POOLED")
    # eligible = 8.008 → 8.01 + fees 2.00 = 10.01; current 1.00; pooled 50 % of 9.01 = 4.505 → 4.51
    assert response.json() == {
        "total": "12.01",
        "eligible": "10.01",
        "personal_current": "1.00",
        "personal_prior": "0.00",
        "pooled": "4.51",
        "self_pay": "6.50",
    }


def test_unknown_policy_code_is_a_field_error(api):
    response = quote(api, [line("D1", "1.00", 1, "A")], policy="NOPE")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "policy_not_found"
    assert set(body["details"]) == {"policy"}


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"lines": [], "account": {"current_year": "1.00", "prior_years": "0"}}, {"lines"}),
        ({"lines": [line("D1", "1.00", 1, "X")], "account": {"current_year": "1", "prior_years": "0"}}, {"lines"}),
        ({"lines": [line("D1", "-1.00", 0, "A")], "account": {"current_year": "1", "prior_years": "0"}}, {"lines"}),
        ({"lines": [line("D1", "1.00", 1, "A")], "fees": "abc", "account": {}}, {"fees", "account"}),
        ({"lines": [line("D1", "1.00", 1, "A")]}, {"account"}),
    ],
)
def test_bad_input_answers_400_with_field_errors(api, payload, fields):
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == "invalid"
    assert set(body["details"]) == fields


def test_bad_line_reports_which_line_and_field(api):
    body = quote(api, [line("D1", "1.00", 1, "A"), line("D2", "1.00", 0, "Z")]).json()
    assert list(body["details"]["lines"]) == ["1"]
    assert set(body["details"]["lines"]["1"]) == {"qty", "class"}


def test_error_messages_are_translated(api):
    payload = {"lines": [line("D1", "1.00", 1, "A")]}
    zh = api.post(URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    en = api.post(URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert en["details"]["account"] == ["This field is required."]
    assert zh["details"]["account"] != en["details"]["account"]


def test_quote_needs_a_token_and_the_permission(client, api_for):
    assert client.post(URL, {}, content_type="application/json").status_code == 401
    assert quote(api_for("auditor"), [line("D1", "1.00", 1, "A")]).status_code == 200
    assert quote(api_for("commander"), [line("D1", "1.00", 1, "A")]).status_code == 200
    assert quote(api_for("tenant"), [line("D1", "1.00", 1, "A")]).status_code == 403


def test_quote_is_documented_in_openapi(api_for):
    schema = api_for("commander").get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/pharmacy/insurance-quote"]["post"]
    assert "200" in operation["responses"] and "400" in operation["responses"]
    request_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    line_ref = schema["components"]["schemas"][request_ref]["properties"]["lines"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][line_ref]["properties"]) == {"drug", "unit_price", "qty", "class"}


def test_split_payment_is_pure_over_policy_rates(db):
    policy = policy_for()
    split = split_payment(
        policy,
        [QuoteLine("D1", D("9.99"), 1, "B")],
        fees=D("0"),
        current_year=D("0"),
        prior_years=D("5"),
    )
    # 9.99 × 90 % = 8.991 → 8.99
    assert (split.eligible, split.personal_prior, split.self_pay) == (D("8.99"), D("5.00"), D("4.99"))


def test_policy_for_unknown_code_raises(db):
    with pytest.raises(PolicyNotFound):
        policy_for("NOPE")
