"""The quote contract: POST /api/v1/rent-relief/quote."""

import copy

import pytest

URL = "/api/v1/rent-relief/quote"
BODY = {
    "as_of": "2022-06-01",
    "tenant": {
        "type": "enterprise",
        "industry": "零售业",
        "employees": 12,
        "revenue_wan": "150",
        "assets_wan": "80",
        "state_owned": False,
        "subsidiary_of_large_group": False,
        "role": "final_occupier",
        "in_arrears": False,
    },
    "property": {"state_owned": True},
    "lease": {"start": "2022-07-01", "end": "2023-06-30", "rent": "30000.00", "period_months": 3, "rent_free": []},
    "proof": {"risk_area": False, "sealed_or_closed": False, "full_year_loss": False},
}


def body(**changes):
    data = copy.deepcopy(BODY)
    for path, value in changes.items():
        target = data
        *parents, last = path.split("__")
        for key in parents:
            target = target[key]
        if value is ...:
            del target[last]
        else:
            target[last] = value
    return data


@pytest.fixture
def api(api_for):
    return api_for("warehouse")


def test_quarterly_rent_from_july_under_the_may_policy(api):
    response = api.post(URL, BODY, format="json")
    assert response.status_code == 200
    # 30000 × 6 × 184 ÷ (3 × 365) = 30246.5753…
    assert response.json() == {
        "eligible": True,
        "policy": "sh-2022-05",
        "size_class": "small",
        "months": 6,
        "covered_days": 184,
        "monthly_rent": "10000.00",
        "amount": "30246.58",
        "reasons": [],
    }


def test_march_policy_with_proof(api):
    data = body(as_of="2022-04-20", proof__sealed_or_closed=True, lease__start="2022-01-01", lease__end="2022-12-31")
    answer = api.post(URL, data, format="json").json()
    assert (answer["policy"], answer["months"], answer["amount"]) == ("sh-2022-03", 6, "60000.00")
    answer = api.post(URL, body(as_of="2022-04-20", proof=..., lease__start="2022-01-01"), format="json").json()
    assert (answer["months"], answer["covered_days"], answer["amount"]) == (3, 365, "30000.00")


def test_rent_free_months(api):
    data = body(lease__start="2022-01-01", lease__rent_free=[{"start": "2022-01-01", "end": "2022-03-31"}])
    answer = api.post(URL, data, format="json").json()
    assert (answer["covered_days"], answer["amount"]) == (275, "45205.48")


def test_sublessor_and_medium_enterprise_list_every_reason(api):
    data = body(tenant__role="sublessor", tenant__employees=60, tenant__revenue_wan="600")
    answer = api.post(URL, data, format="json").json()
    assert answer["eligible"] is False
    assert answer["amount"] == "0.00"
    assert answer["size_class"] == "medium"
    assert [(r["code"], r["message"]) for r in answer["reasons"]] == [
        ("sublessor", "转租方(二房东)不享受减免，应将减免传导至最终承租人"),
        ("not_small_or_micro", "不属于小微企业或个体工商户(划型为中型企业)"),
    ]


def test_individual_business_needs_no_size_figures(api):
    data = body(tenant={"type": "individual_business"})
    answer = api.post(URL, data, format="json").json()
    assert (answer["eligible"], answer["size_class"], answer["amount"]) == (True, "individual", "30246.58")


@pytest.mark.parametrize(
    ("changes", "field_path"),
    [
        ({"lease__period_months": 2}, ("lease", "period_months")),
        ({"lease__rent": "12.345"}, ("lease", "rent")),
        ({"lease__rent": "-1.00"}, ("lease", "rent")),
        ({"lease__end": "2022-01-01"}, ("lease", "end")),
        ({"tenant__industry": "钓鱼业"}, ("tenant", "industry")),
        ({"tenant__type": "cooperative"}, ("tenant", "type")),
        ({"tenant__industry": ...}, ("tenant", "industry")),
        ({"tenant__employees": ...}, ("tenant", "employees")),
        ({"as_of": "2022-13-01"}, ("as_of",)),
        ({"property": ...}, ("property",)),
    ],
)
def test_bad_input_gets_field_errors(api, changes, field_path):
    response = api.post(URL, body(**changes), format="json")
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "invalid"
    assert set(answer) == {"code", "message", "details"}
    details = answer["details"]
    for key in field_path:
        details = details[key]
    assert details


def test_anonymous_is_refused(client, base):
    assert client.post(URL, BODY, content_type="application/json").status_code in (401, 403)


def test_tenant_may_quote(api_for):
    assert api_for("tenant").post(URL, BODY, format="json").status_code == 200


def test_quote_is_in_the_openapi_schema(api):
    schema = api.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/rent-relief/quote"]["post"]
    assert "QuoteRequest" in str(operation["requestBody"])
    assert set(operation["responses"]) >= {"200", "400"}
    response_schema = schema["components"]["schemas"]["QuoteResponse"]
    assert set(response_schema["properties"]) == {
        "eligible",
        "policy",
        "size_class",
        "months",
        "covered_days",
        "monthly_rent",
        "amount",
        "reasons",
    }


# --- contradictions (issue 19.5) ------------------------------------------------------------------
def test_individual_business_flagged_subsidiary_of_a_large_group_is_refused_with_a_field_error(api):
    response = api.post(
        URL,
        body(tenant__type="individual_business", tenant__subsidiary_of_large_group=True),
        format="json",
    )
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "facts_contradict"
    [text] = data["details"]["tenant"]["subsidiary_of_large_group"]
    assert "个体工商户不可能是大中型企业集团的下属企业" in text and "individual business cannot be" in text
    assert "eligible" not in data


def test_quote_refuses_a_uscc_of_the_other_registered_type_and_rent_free_outside_the_lease(api):
    response = api.post(
        URL,
        body(
            tenant__uscc="92310113MA1K3B7C6G",
            lease__rent_free=[{"start": "2022-01-01", "end": "2022-01-31"}],
        ),
        format="json",
    )
    assert response.status_code == 400
    details = response.json()["details"]
    assert list(details["tenant"]) == ["uscc"] and list(details["lease"]) == ["rent_free"]
    consistent = api.post(URL, body(tenant__uscc="91310113MA1FL2KQ20"), format="json")
    assert consistent.status_code == 200 and consistent.json()["eligible"] is True
