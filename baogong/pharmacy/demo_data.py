"""Demo drugs and pharmacy stock: ``load_pharmacy_demo()`` goes through the real actions, idempotent.

Approval numbers follow the formats of FACTS.md §2.3 (legacy 2002 and current 2020 formats).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from baogong.catalog import actions as catalog_actions
from baogong.catalog.models import Category, Item
from baogong.core.audit import SystemActor
from baogong.inventory.actions import ReceiptLineInput, receive_stock
from baogong.inventory.models import Lot
from baogong.orgs.models import Site
from baogong.pharmacy import actions
from baogong.pharmacy.models import Drug, FeeSchedule

SYSTEM = SystemActor("pharmacy-demo")

# code, generic, brand, approval number, form, strength, pack, sale class, insurance class, price, extra
DRUGS: list[tuple[Any, ...]] = [
    (
        "YP-IBU",
        "布洛芬缓释胶囊",
        "芬必得",
        "国药准字H10900089",
        "capsule",
        "0.3g",
        "20粒/盒",
        "otc_b",
        "A",
        "18.50",
        {},
    ),
    ("YP-LHQW", "连花清瘟胶囊", "以岭", "国药准字Z20040063", "capsule", "0.35g", "24粒/盒", "otc_a", "A", "26.80", {}),
    (
        "YP-PARA",
        "对乙酰氨基酚片",
        "泰诺林",
        "国药准字H19990369",
        "tablet",
        "0.5g",
        "10片/盒",
        "otc_a",
        "A",
        "12.60",
        {},
    ),
    ("YP-AMLO", "苯磺酸氨氯地平片", "络活喜", "国药准字H10950224", "tablet", "5mg", "7片/盒", "rx", "B", "33.33", {}),
    ("YP-METF", "盐酸二甲双胍片", "格华止", "国药准字H20023370", "tablet", "0.5g", "20片/盒", "rx", "A", "22.40", {}),
    (
        "YP-INS",
        "门冬胰岛素注射液",
        "诺和锐",
        "国药准字SJ20150001",
        "injection",
        "3ml:300单位",
        "1支/盒",
        "rx",
        "B",
        "72.15",
        {"is_glucose_lowering": True},
    ),
    ("YP-CEFT", "注射用头孢曲松钠", "", "国药准字H20043856", "injection", "1.0g", "10瓶/盒", "rx", "A", "45.00", {}),
    ("YP-WARF", "华法林钠片", "", "国药准字H31022123", "tablet", "2.5mg", "60片/瓶", "rx", "A", "15.80", {}),
    ("YP-VC", "维生素C片", "", "国药准字H31020511", "tablet", "0.1g", "100片/瓶", "otc_b", "C", "3.50", {}),
    ("YP-BLG", "板蓝根颗粒", "", "国药准字Z44021940", "granule", "10g", "20袋/包", "otc_a", "B", "15.00", {}),
]


def _drug(row: tuple[Any, ...], category: Category) -> Drug:
    code, generic, brand, number, form, strength, pack, sale, insurance, price, extra = row
    item = Item.objects.filter(code=code).first()
    if item is None:
        item = catalog_actions.create_item(
            {
                "code": code,
                "name": f"{generic} {strength}",
                "unit": "盒",
                "category": category,
                "regulatory_number": number,
                "reference_price": Decimal(price),
                "shelf_life_days": 730,
            },
            actor=SYSTEM,
        )
    existing = Drug.objects.filter(item=item).first()
    if existing is not None:
        return existing
    return actions.save_drug(
        {
            "item": item,
            "generic_name": generic,
            "brand_name": brand,
            "approval_number": number,
            "dosage_form": form,
            "strength": strength,
            "pack": pack,
            "sale_class": sale,
            "insurance_class": insurance,
            "unit_price": Decimal(price),
            **extra,
        },
        actor=SYSTEM,
    )


def load_pharmacy_demo(*, units: int = 30) -> dict[str, int]:
    """Drugs on the catalog and ``units`` of each at every pharmacy (skipped where a lot exists)."""
    if not FeeSchedule.objects.exists():
        FeeSchedule.objects.create(
            valid_from=dt.date(2022, 1, 1), delivery_fee=Decimal("5.00"), packaging_fee=Decimal("1.00")
        )
    catalog_actions.ensure_categories(actor=SYSTEM)
    category = Category.objects.get(code="DRUG")
    drugs = [_drug(row, category) for row in DRUGS]
    received = 0
    expiry = timezone.localdate() + dt.timedelta(days=540)
    for index, site in enumerate(Site.objects.filter(kind="pharmacy").order_by("code")):
        lines = []
        for position, drug in enumerate(drugs):
            batch = f"{site.code}-{drug.item.code}"
            if Lot.objects.filter(item=drug.item, batch=batch).exists():
                continue
            # Leave some gaps so that baskets are split and shortages show up.
            if (index + position) % 7 == 6:
                continue
            lines.append(
                ReceiptLineInput(
                    item=drug.item, batch=batch, qty=units, unit_cost=drug.unit_price * Decimal("0.7"), expiry=expiry
                )
            )
        if lines:
            receive_stock(site, lines, actor=SYSTEM, reference="pharmacy demo stock")
            received += len(lines)
    return {"drugs": len(drugs), "lots": received}
