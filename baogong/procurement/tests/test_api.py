import datetime as dt

from baogong.procurement.models import PurchaseOrder, Supplier

from .conftest import ANTIGEN_NUMBER, ANTIGEN_REGISTRANT, FAKE_ANTIGEN_NUMBER, GOOD_USCC, WARN_USCC


def test_register_supplier_shows_the_code_warning(api_for):
    client = api_for("procurement")
    response = client.post(
        "/api/v1/procurement/suppliers/",
        {
            "organisation": "BYJT",
            "name": "上海康安",
            "uscc": WARN_USCC,
            "legal_representative": "王建国",
            "categories": ["protective"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert len(body["uscc_warnings"]) == 1


def test_bad_credit_code_is_a_field_error(api_for):
    response = api_for("procurement").post(
        "/api/v1/procurement/suppliers/",
        {
            "organisation": "BYJT",
            "name": "x",
            "uscc": "91310113MA1FL2KQ21",
            "legal_representative": "x",
            "categories": ["food"],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "supplier_invalid"
    assert "uscc" in response.json()["details"]
    assert not Supplier.objects.exists()


def test_approve_names_the_missing_licence(api_for, make_supplier):
    supplier = make_supplier(approve=False, licences=("business",))
    response = api_for("commander").post(f"/api/v1/procurement/suppliers/{supplier.pk}/approve/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "supplier_not_qualified"
    assert len(response.json()["details"]["licences"]) == 1


def order_body(supplier, price="100.00", reason="", item="MASK-N95"):
    return {
        "supplier": supplier.pk,
        "lines": [
            {
                "item": item,
                "qty": 10,
                "unit_price": price,
                "delivery_date": (dt.date.today() + dt.timedelta(days=2)).isoformat(),
                "warehouse": "WH-BY",
                "price_reason": reason,
            }
        ],
    }


def test_order_from_unqualified_supplier_is_refused(api_for, make_supplier, items):
    supplier = make_supplier(approve=False)
    response = api_for("procurement").post("/api/v1/procurement/orders/", order_body(supplier), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "supplier_not_qualified"
    assert not PurchaseOrder.objects.exists()


def test_gouging_price_without_reason_is_refused_then_accepted_with_one(api_for, make_supplier, items):
    supplier = make_supplier()
    client = api_for("procurement")
    response = client.post("/api/v1/procurement/orders/", order_body(supplier, price="200.00"), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "price_reason_required"
    assert "price_reason" in response.json()["details"]["lines[0]"]
    response = client.post(
        "/api/v1/procurement/orders/", order_body(supplier, price="200.00", reason="唯一现货"), format="json"
    )
    assert response.status_code == 201
    order = response.json()
    assert order["lines"][0]["is_price_flagged"] is True
    response = client.post(f"/api/v1/procurement/orders/{order['id']}/submit/", {}, format="json")
    assert response.json()["status"] == "approved"


def test_unknown_codes_are_field_errors(api_for, make_supplier, items):
    supplier = make_supplier()
    response = api_for("procurement").post(
        "/api/v1/procurement/orders/", order_body(supplier, item="NOPE"), format="json"
    )
    assert response.status_code == 400
    assert "item" in response.json()["details"]["lines[0]"]


def test_receive_inspect_and_mark_counterfeit_through_the_api(api_for, make_supplier, items):
    supplier = make_supplier(categories=("protective", "ivd"))
    officer, inspector = api_for("procurement"), api_for("qc")
    order = officer.post(
        "/api/v1/procurement/orders/", order_body(supplier, price="480.00", item="AG-20"), format="json"
    ).json()
    officer.post(f"/api/v1/procurement/orders/{order['id']}/submit/", {}, format="json")
    response = officer.post(
        "/api/v1/procurement/receipts/",
        {
            "order": order["id"],
            "lines": [
                {
                    "line": order["lines"][0]["id"],
                    "qty": 10,
                    "batch": "API-1",
                    "production_date": (dt.date.today() - dt.timedelta(days=5)).isoformat(),
                    "expiry": (dt.date.today() + dt.timedelta(days=300)).isoformat(),
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    [receipt] = response.json()
    assert (receipt["batch"], receipt["qc_status"]) == ("API-1", "pending")

    fake = {
        "lot": receipt["lot"],
        "batch": "API-1",
        "registration_number": FAKE_ANTIGEN_NUMBER,
        "registrant": ANTIGEN_REGISTRANT,
        "has_inspection_report": True,
        "sample_result": "pass",
        "decision": "release",
    }
    response = inspector.post("/api/v1/procurement/inspections/", fake, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "inspection_invalid"
    response = inspector.post(
        "/api/v1/procurement/inspections/", fake | {"decision": "reject", "reason": "一类备案号"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["decision"] == "reject" and response.json()["red_flags"]

    response = inspector.post(
        "/api/v1/procurement/counterfeit-cases/", {"lot": receipt["lot"], "reason": "假冒"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["recall"] == []
    assert api_for("auditor").get("/api/v1/procurement/counterfeit-cases/").json()["count"] == 1
    assert ANTIGEN_NUMBER  # the item master's number the fake did not match


def test_other_organisations_supplier_is_404(api_for, make_supplier):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from baogong.orgs.models import Grant, Organisation

    supplier = make_supplier(org="YYGS", uscc=GOOD_USCC)
    outsider = get_user_model().objects.create_user("cy-buyer", password="x")
    outsider.groups.add(Group.objects.get(name="procurement_officer"))
    Grant.objects.create(user=outsider, organisation=Organisation.objects.get(code="CYGS"))
    response = api_for("cy-buyer").get(f"/api/v1/procurement/suppliers/{supplier.pk}/")
    assert response.status_code == 404
    assert api_for("cy-buyer").get("/api/v1/procurement/suppliers/").json()["count"] == 0
    assert api_for("auditor").get(f"/api/v1/procurement/suppliers/{supplier.pk}/").status_code == 200


def test_openapi_documents_procurement(api_for):
    schema = api_for("commander").get("/api/v1/openapi.json").json()
    for path in [
        "/api/v1/procurement/suppliers/",
        "/api/v1/procurement/suppliers/{id}/approve/",
        "/api/v1/procurement/orders/",
        "/api/v1/procurement/orders/{id}/submit/",
        "/api/v1/procurement/receipts/",
        "/api/v1/procurement/inspections/",
        "/api/v1/procurement/counterfeit-cases/",
    ]:
        assert path in schema["paths"], path
