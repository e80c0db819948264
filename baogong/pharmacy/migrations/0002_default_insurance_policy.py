"""Seed the default insurance policy (data only; the rates live in the table, not in code)."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

SHANGHAI_2022 = {
    "code": "SH-EMPLOYEE-PHARMACY-2022",
    "name": "上海职工医保·定点零售药店 2022 / Shanghai employee insurance at a designated retail pharmacy, 2022",
    "valid_from": dt.date(2022, 1, 1),
    "valid_until": None,
    "is_default": True,
    "class_a_eligible_percent": Decimal("100.00"),
    "class_b_eligible_percent": Decimal("90.00"),
    "unlisted_eligible_percent": Decimal("0.00"),
    "fees_eligible": False,
    "pooled_fund_percent": Decimal("0.00"),
    "notes": (
        "甲类全额纳入；乙类按90%纳入(10%自付)；目录外、配送费、包装费自付；"
        "先当年账户后历年账户；统筹基金在药店不支付。 / Class A fully eligible; class B 90% "
        "(10% self-paid); unlisted lines, delivery and packaging fees self-paid; current-year "
        "account first, then prior years; the pooled fund pays nothing at a pharmacy."
    ),
}


def seed(apps, schema_editor):
    policy_model = apps.get_model("pharmacy", "InsurancePolicy")
    values = dict(SHANGHAI_2022)
    code = values.pop("code")
    policy_model.objects.get_or_create(code=code, defaults=values)


def unseed(apps, schema_editor):
    apps.get_model("pharmacy", "InsurancePolicy").objects.filter(code=SHANGHAI_2022["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [("pharmacy", "0001_insurance_policy")]

    operations = [migrations.RunPython(seed, unseed)]
