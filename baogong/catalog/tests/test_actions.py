from __future__ import annotations

from decimal import Decimal

import pytest

from baogong.catalog import actions
from baogong.catalog.demo_data import ITEMS, load_catalog_demo
from baogong.catalog.errors import ItemInvalid
from baogong.catalog.models import Category, Item, ItemPrice
from baogong.core.audit import SystemActor
from baogong.core.excel import ImportFailed
from baogong.core.models import AuditEvent
from baogong.core.tests.xlsx import xlsx_file

SYSTEM = SystemActor("test")


def test_category_tree_is_installed(db):
    assert Category.objects.get(code="LIFE-WATER").parent.code == "LIFE"
    assert Category.objects.get(code="LIFE-VEG").parent.parent.code == "LIFE"
    assert Category.objects.get(code="MED-DEV-IVD").effective_regulatory_kind() == "device"
    assert actions.ensure_categories(actor=SYSTEM) == 0


def test_create_item_needs_only_code_name_unit_and_records_audit(db):
    item = actions.create_item({"code": "X1", "name": "测试", "unit": "箱"}, actor=SYSTEM)
    assert (item.pack_qty, item.storage, item.is_active, item.weight_kg) == (1, "normal", True, Decimal("0"))
    assert AuditEvent.objects.get(verb="create_item").after["code"] == "X1"
    assert not ItemPrice.objects.exists()


def test_create_item_refuses_duplicate_code_and_writes_nothing(db):
    actions.create_item({"code": "X1", "name": "测试", "unit": "箱"}, actor=SYSTEM)
    with pytest.raises(ItemInvalid) as err:
        actions.create_item({"code": "X1", "name": "again", "unit": "箱"}, actor=SYSTEM)
    assert "code" in err.value.details
    assert Item.objects.count() == 1 and AuditEvent.objects.filter(verb="create_item").count() == 1


@pytest.mark.parametrize(
    ("category", "number", "ok"),
    [
        ("DRUG", "国药准字Z20040063", True),
        ("DRUG", "", False),
        ("DRUG", "国食健字G20040001", False),
        ("MED-DEV-IVD", "国械注准20203400830", True),
        ("MED-DEV-IVD", "沪械注准20202400001", True),
        ("MED-DEV-IVD", "国械注准20202400830", False),
        ("MED-DEV", "", False),
        ("EPI-MASK", "", True),
    ],
)
def test_regulatory_number_is_checked_per_category(db, category, number, ok):
    data = {
        "code": "R1",
        "name": "x",
        "unit": "盒",
        "category": Category.objects.get(code=category),
        "regulatory_number": number,
    }
    if ok:
        assert actions.create_item(data, actor=SYSTEM).regulatory_number == number
    else:
        with pytest.raises(ItemInvalid) as err:
            actions.create_item(data, actor=SYSTEM)
        assert "regulatory_number" in err.value.details
        assert not Item.objects.exists()


def test_price_history_and_reference_price(db):
    item = actions.create_item(
        {"code": "P1", "name": "x", "unit": "斤", "reference_price": Decimal("2.15")}, actor=SYSTEM
    )
    import datetime as dt

    actions.record_item_price(
        item, Decimal("2.50"), date=dt.date.today() + dt.timedelta(days=1), source="市场", actor=SYSTEM
    )
    actions.record_item_price(item, Decimal("1.00"), date=dt.date(2020, 1, 1), source="old", actor=SYSTEM)
    item.refresh_from_db()
    assert item.reference_price == Decimal("2.50")
    assert [p.price for p in item.prices.all()] == [Decimal("2.50"), Decimal("2.15"), Decimal("1.00")]
    with pytest.raises(ItemInvalid):
        actions.record_item_price(item, Decimal("-1"), actor=SYSTEM)


def test_pack_description(db):
    item = actions.create_item(
        {"code": "W", "name": "水", "unit": "箱", "pack_qty": 24, "pack_unit": "瓶", "pack_size": "550 ml"},
        actor=SYSTEM,
    )
    assert item.pack_description == "箱 = 24 × 瓶 550 ml"


def test_load_catalog_demo_is_idempotent(db):
    first = load_catalog_demo()
    assert first["items"] == len(ITEMS) and first["prices"] == 4
    assert load_catalog_demo() == {"categories": 0, "items": 0, "prices": 0}
    assert Item.objects.get(code="AG-WONDFO").regulatory_number == "国械注准20203400830"
    assert Item.objects.get(code="MASK-N95").prices.count() == 3


def _workbook(rows):
    return xlsx_file([c.header for c in actions.ITEM_COLUMNS], rows, "items.xlsx")


def _row(code, name="名称", category="EPI-MASK", unit="盒", reg="", price="1.5", storage="常温"):
    return [code, name, "", category, unit, 10, "只", "", "0.1", "0.001", "", "", reg, price, 365, storage, "是"]


def test_import_items_creates_and_updates(db):
    actions.create_item({"code": "OLD", "name": "旧", "unit": "盒"}, actor=SYSTEM)
    result = actions.import_items(_workbook([_row("NEW"), _row("OLD", name="新名")]), actor=SYSTEM)
    assert result == {"created": 1, "updated": 1}
    assert Item.objects.get(code="OLD").name == "新名"
    assert Item.objects.get(code="NEW").category.code == "EPI-MASK"


def test_import_items_with_any_bad_row_imports_nothing(db):
    rows = [_row("A"), _row("B", category="NOPE"), _row("C", category="DRUG", reg="bad"), _row("A")]
    with pytest.raises(ImportFailed) as err:
        actions.import_items(_workbook(rows), actor=SYSTEM)
    found = {(e["row"], e["field"]) for e in err.value.details["rows"]}
    assert {(3, "category"), (5, "code")} <= found
    assert not Item.objects.exists()


def test_import_items_model_errors_roll_back_everything(db):
    events = AuditEvent.objects.count()
    with pytest.raises(ImportFailed) as err:
        actions.import_items(_workbook([_row("A"), _row("C", category="DRUG", reg="bad")]), actor=SYSTEM)
    assert [(e["row"], e["field"]) for e in err.value.details["rows"]] == [(3, "regulatory_number")]
    assert not Item.objects.exists() and AuditEvent.objects.count() == events
