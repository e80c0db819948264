"""The default QC rules: protective goods (防疫物资) are held when they come without a purchase order
from a supplier procurement does not know as qualified; drugs and medical devices (antigen kits
included) are always inspected (the gate's default for categories with a regulatory number, written
down here so the rule table shows it). Other categories (grain, water, farm inputs, fuel) have none."""

from typing import Any

from django.db import migrations

RULES = [("EPI", "unqualified_supplier"), ("MED-DEV", "always"), ("DRUG", "always")]


def seed(apps: Any, schema_editor: Any) -> None:
    category = apps.get_model("catalog", "Category")
    rule = apps.get_model("inventory", "QcRule")
    for code, policy in RULES:
        found = category.objects.filter(code=code).first()
        if found is not None:
            rule.objects.get_or_create(category=found, defaults={"policy": policy})


class Migration(migrations.Migration):
    dependencies = [("inventory", "0004_qc_rules"), ("catalog", "0002_category_tree")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
