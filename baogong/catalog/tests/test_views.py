from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from baogong.catalog import actions
from baogong.catalog.models import Item
from baogong.core.audit import SystemActor
from baogong.core.tests.xlsx import xlsx_file

SYSTEM = SystemActor("test")


def _upload(rows):
    return SimpleUploadedFile("items.xlsx", xlsx_file([c.header for c in actions.ITEM_COLUMNS], rows).getvalue())


def test_item_list_query_count_does_not_grow_with_rows(client_for):
    client = client_for("commander")
    actions.create_item({"code": "A", "name": "a", "unit": "盒"}, actor=SYSTEM)
    client.get("/catalog/items/")
    with CaptureQueriesContext(connection) as one:
        client.get("/catalog/items/")
    for i in range(15):
        actions.create_item({"code": f"B{i}", "name": "b", "unit": "盒"}, actor=SYSTEM)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/catalog/items/")
    assert response.status_code == 200 and len(many) == len(one)


def test_export_template_and_import_round_trip(client_for):
    client = client_for("commander")
    template = load_workbook(io.BytesIO(client.get("/catalog/items/template.xlsx").content))
    assert template.active.cell(1, 1).value == "编码 / Code" and "说明 Notes" in template.sheetnames
    row = [
        "W1",
        "水",
        "",
        "LIFE-WATER",
        "箱",
        24,
        "瓶",
        "550 ml",
        "13.8",
        "0.02",
        "",
        "GB 19298-2014",
        "",
        "24",
        365,
        "常温",
        "是",
    ]
    response = client.post("/catalog/items/import/", {"file": _upload([row])})
    assert response.status_code == 302 and Item.objects.get(code="W1").pack_qty == 24
    exported = load_workbook(io.BytesIO(client.get("/catalog/items/", {"format": "xlsx"}).content)).active
    assert [c.value for c in exported[2]][:5] == ["W1", "水", None, "LIFE-WATER", "箱"]


def test_import_with_a_bad_row_shows_errors_and_imports_nothing(client_for):
    client = client_for("commander")
    good = ["G1", "好", "", "FUEL", "升", 1, "", "", "0.8", "0.001", "", "", "", "8", "", "常温", "是"]
    bad = ["G2", "坏", "", "NOPE", "升", 1, "", "", "x", "0.001", "", "", "", "8", "", "常温", "是"]
    response = client.post("/catalog/items/import/", {"file": _upload([good, bad])})
    assert response.status_code == 400  # a refused import answers 400, like every import page
    fields = {(e["row"], e["field"]) for e in response.context["row_errors"]}
    assert fields == {(3, "category"), (3, "weight_kg")}
    assert not Item.objects.exists()


def test_item_form_create_and_field_errors(client_for):
    client = client_for("commander")
    data = {
        "code": "D1",
        "name": "药",
        "unit": "盒",
        "pack_qty": 1,
        "weight_kg": "0",
        "volume_m3": "0",
        "storage": "normal",
        "is_active": "on",
    }
    response = client.post("/catalog/items/new/", {**data, "category": ""})
    assert response.status_code == 302
    dup = client.post("/catalog/items/new/", data)
    assert dup.status_code == 200 and "code" in dup.context["form"].errors
    assert client_for("warehouse").get("/catalog/items/new/").status_code == 403


def test_the_page_and_the_api_filter_items_the_same_way(client_for, api_for):
    for code, name, is_active in [("W1", "矿泉水", True), ("W2", "纯净水", False), ("M1", "口罩", True)]:
        actions.create_item({"code": code, "name": name, "unit": "箱", "is_active": is_active}, actor=SYSTEM)
    page = client_for("commander")
    api = api_for("commander")

    def page_codes(params):
        return [i.code for i in page.get("/catalog/items/", params).context["page"].object_list]

    def api_codes(params):
        return [row["code"] for row in api.get("/api/v1/catalog/items/", params).json()["results"]]

    assert page_codes({"q": "水"}) == api_codes({"q": "水"}) == ["W1", "W2"]
    assert page_codes({"q": "水", "active": "1"}) == api_codes({"q": "水", "is_active": "true"}) == ["W1"]
    assert page_codes({"q": "水", "active": "0"}) == api_codes({"q": "水", "is_active": "false"}) == ["W2"]
    assert page_codes({"q": "水", "active": "maybe"}) == ["W1", "W2"]
