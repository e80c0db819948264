"""The standard category tree (防疫物资 / 医疗器械 / 药品 / 生活物资 / 农资 / 燃油)."""

from typing import Any

from django.db import migrations

TREE = [
    ("EPI", "防疫物资", "Epidemic-control goods", None, ""),
    ("EPI-MASK", "口罩", "Masks", "EPI", ""),
    ("EPI-GOWN", "防护服", "Protective gowns", "EPI", ""),
    ("EPI-DISINF", "消毒用品", "Disinfectants", "EPI", ""),
    ("MED-DEV", "医疗器械", "Medical devices", None, "device"),
    ("MED-DEV-IVD", "体外诊断试剂", "In-vitro diagnostics (antigen kits)", "MED-DEV", "device"),
    ("DRUG", "药品", "Drugs", None, "drug"),
    ("LIFE", "生活物资", "Daily necessities", None, ""),
    ("LIFE-FOOD", "粮油肉禽蛋菜奶", "Grain, oil, meat, poultry, eggs, vegetables, milk", "LIFE", ""),
    ("LIFE-GRAIN", "粮油", "Grain and edible oil", "LIFE-FOOD", ""),
    ("LIFE-MEAT", "肉禽蛋", "Meat, poultry and eggs", "LIFE-FOOD", ""),
    ("LIFE-VEG", "蔬菜", "Vegetables", "LIFE-FOOD", ""),
    ("LIFE-MILK", "奶制品", "Milk", "LIFE-FOOD", ""),
    ("LIFE-WATER", "饮用水", "Drinking water", "LIFE", ""),
    ("LIFE-BUNDLE", "保供套餐", "Supply bundles", "LIFE", ""),
    ("AGRI", "农资", "Farm inputs", None, ""),
    ("FUEL", "燃油", "Fuel", None, ""),
]


def create_tree(apps: Any, schema_editor: Any) -> None:
    category = apps.get_model("catalog", "Category")
    by_code: dict[str, Any] = {}
    for code, name, name_en, parent, kind in TREE:
        by_code[code], _ = category.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "parent": by_code.get(parent or ""), "regulatory_kind": kind},
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create_tree, migrations.RunPython.noop)]
