from __future__ import annotations

from baogong.catalog.models import Item
from baogong.core.models import AuditEvent


def test_create_item_with_code_name_unit_only(api_for):
    api = api_for("commander")
    response = api.post("/api/v1/catalog/items/", {"code": "N95", "name": "医用防护口罩", "unit": "盒"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["unit"], body["pack_qty"], body["category"], body["storage"]) == (
        "N95",
        "盒",
        1,
        None,
        "normal",
    )
    assert AuditEvent.objects.filter(verb="create_item", actor__username="commander").count() == 1


def test_create_item_with_category_code_and_all_fields(api_for):
    payload = {
        "code": "AG",
        "name": "抗原",
        "unit": "盒",
        "category": "MED-DEV-IVD",
        "pack_qty": 20,
        "pack_unit": "人份",
        "weight_kg": "0.6",
        "volume_m3": "0.003",
        "regulatory_number": "国械注准20203400830",
        "reference_price": "490.00",
        "shelf_life_days": 540,
        "storage": "normal",
    }
    response = api_for("commander").post("/api/v1/catalog/items/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["pack_description"] == "盒 = 20 × 人份"
    assert Item.objects.get(code="AG").prices.count() == 1


def test_create_item_errors_are_field_level_and_write_nothing(api_for):
    api = api_for("commander")
    missing = api.post("/api/v1/catalog/items/", {"code": "X"}, format="json")
    assert missing.status_code == 400 and set(missing.json()["details"]) == {"name", "unit"}
    bad = api.post(
        "/api/v1/catalog/items/",
        {"code": "D", "name": "药", "unit": "盒", "category": "DRUG", "regulatory_number": "国药准字X1"},
        format="json",
    )
    assert bad.status_code == 400 and "regulatory_number" in bad.json()["details"]
    api.post("/api/v1/catalog/items/", {"code": "X", "name": "a", "unit": "盒"}, format="json")
    dup = api.post("/api/v1/catalog/items/", {"code": "X", "name": "b", "unit": "盒"}, format="json")
    assert dup.status_code == 400 and dup.json()["code"] == "item_invalid" and "code" in dup.json()["details"]
    assert list(Item.objects.values_list("code", flat=True)) == ["X"]


def test_list_items_paginates_and_filters(api_for):
    api = api_for("commander")
    for code in ("A1", "A2", "B1"):
        api.post(
            "/api/v1/catalog/items/", {"code": code, "name": code, "unit": "箱", "category": "FUEL"}, format="json"
        )
    reader = api_for("auditor")
    body = reader.get("/api/v1/catalog/items/?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert [i["code"] for i in reader.get("/api/v1/catalog/items/?q=A").json()["results"]] == ["A1", "A2"]
    assert reader.get("/api/v1/catalog/items/?category=FUEL").json()["count"] == 3


def test_item_creation_needs_permission(api_for):
    for username in ("auditor", "warehouse"):
        response = api_for(username).post(
            "/api/v1/catalog/items/", {"code": "Z", "name": "z", "unit": "盒"}, format="json"
        )
        assert response.status_code == 403
    assert not Item.objects.exists()
