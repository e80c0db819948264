"""Seed the two Shanghai 2022 rent-relief policies (FACTS.md §1.2); an administrator may edit them."""

import datetime as dt

from django.db import migrations

POLICIES = [
    {
        "code": "sh-2022-03",
        "name": "上海市国有企业减免小微企业和个体工商户房屋租金实施细则(2022-03-31)：减免3个月，"
        "另有一项证明(街镇列为中高风险地区、房屋被封控/停业/征用、全年亏损)再减免3个月",
        "effective_from": dt.date(2022, 3, 31),
        "effective_to": dt.date(2022, 5, 28),
        "base_months": 3,
        "extra_months_with_proof": 3,
        "documents": "application,legal_rep_id,business_licence,lease,size_proof,proof",
    },
    {
        "code": "sh-2022-05",
        "name": "上海市加快经济恢复和重振行动方案(2022-05-29)：减免6个月，免予提交受疫情影响证明材料",
        "effective_from": dt.date(2022, 5, 29),
        "effective_to": None,
        "base_months": 6,
        "extra_months_with_proof": 0,
        "documents": "application,legal_rep_id,business_licence,lease,size_proof",
    },
]


def seed(apps, schema_editor):
    Policy = apps.get_model("property", "Policy")
    for values in POLICIES:
        Policy.objects.get_or_create(code=values["code"], defaults=values)


def unseed(apps, schema_editor):
    apps.get_model("property", "Policy").objects.filter(code__in=[p["code"] for p in POLICIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("property", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
