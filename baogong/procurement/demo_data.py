"""Demonstration procurement: qualified suppliers, orders, inspections and one counterfeit case.

``load_procurement_demo()`` is idempotent (it does nothing when its suppliers exist). It needs the
base data, the demo accounts and the catalog demo items (loaded here when missing).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from baogong.catalog.models import Item
from baogong.core.audit import SystemActor
from baogong.inventory.actions import IssueLineInput, issue_stock
from baogong.orgs.models import Organisation, Site
from baogong.procurement import actions
from baogong.procurement.models import ApprovalLevel, Supplier

SYSTEM = SystemActor("procurement-demo")
PDF = b"%PDF-1.4\n% demo licence scan\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# name, USCC, org, categories, licences (kind, number)
SUPPLIERS: list[tuple[str, str, str, list[str], list[tuple[str, str]]]] = [
    (
        "上海康安医疗器械有限公司",
        "91310113MA1FL2KQ20",
        "BYJT",
        ["protective", "ivd"],
        [("device_business", "沪宝药监械经营许20200017号")],
    ),
    ("上海宝粮食品有限公司", "91310113132209535Y", "BYJT", ["food"], [("food_business", "JY13101130012345")]),
    (
        "上海速达商贸有限公司",
        "91310113312345673R",
        "BYJT",
        ["protective", "ivd"],
        [("device_business", "沪宝药监械经营许20220409号")],
    ),
    (
        "上海仁和医药有限公司",
        "913101136071234538",
        "YYGS",
        ["drug", "protective", "ivd"],
        [("drug_business", "沪AA0210001"), ("device_business", "沪宝药监械经营许20190033号")],
    ),
]
PENDING_SUPPLIER = ("上海新晟贸易有限公司", "91310113MA1FL2KQ59", "BYJT", ["protective"])


def _user(username: str) -> Any:
    return get_user_model().objects.filter(username=username).first() or SYSTEM


def _ensure_items() -> None:
    if not Item.objects.filter(code__in=["AG-WONDFO", "MASK-N95", "RICE-10"]).count() == 3:
        from baogong.catalog.demo_data import load_catalog_demo

        load_catalog_demo()


def _register(name: str, uscc: str, org: str, categories: list[str], licences: list[tuple[str, str]]) -> Supplier:
    officer = _user("procurement")
    supplier = actions.register_supplier(
        {
            "organisation": Organisation.objects.get(code=org),
            "name": name,
            "uscc": uscc,
            "legal_representative": "张伟",
            "contact_name": "王芳",
            "contact_phone": "13800000000",
            "categories": categories,
        },
        actor=officer,
    )
    today = timezone.localdate()
    for kind, number in [("business", uscc), *licences]:
        actions.add_licence(
            supplier,
            {
                "kind": kind,
                "number": number,
                "scope": "",
                "issued_on": dt.date(2020, 1, 1),
                "expires_on": None if kind == "business" else today + dt.timedelta(days=20 if "速达" in name else 700),
            },
            document=ContentFile(PDF, name=f"{kind}.pdf"),
            actor=officer,
        )
    return actions.approve_supplier(supplier, reason="资质审核通过", actor=_user("commander"))


def _order(supplier: Supplier, item_code: str, qty: int, price: str, **kwargs: Any) -> Any:
    item = Item.objects.get(code=item_code)
    order = actions.create_order(
        supplier.organisation,
        supplier,
        [
            actions.OrderLineInput(
                item=item,
                qty=qty,
                unit_price=Decimal(price),
                delivery_date=timezone.localdate() + dt.timedelta(days=1),
                warehouse=Site.objects.get(code="WH-BY"),
                price_reason=kwargs.get("price_reason", ""),
            )
        ],
        actor=_user("procurement"),
    )
    return actions.submit_order(
        order,
        actor=_user("procurement"),
        emergency=kwargs.get("emergency", False),
        emergency_reason=kwargs.get("emergency_reason", ""),
    )


def _receive_and_inspect(order: Any, batch: str, number: str, *, decision: str, reason: str = "", **label: Any) -> Any:
    line = order.lines.get()
    today = timezone.localdate()
    [receipt] = actions.receive_against_order(
        order,
        [
            actions.ReceiveLineInput(
                line=line,
                qty=line.qty,
                batch=batch,
                production_date=today - dt.timedelta(days=20),
                expiry=today + dt.timedelta(days=500),
            )
        ],
        actor=_user("procurement"),
    )
    data = actions.InspectionInput(
        batch=batch,
        registration_number=number,
        registrant=label.get("registrant", ""),
        production_date=receipt.lot.production_date,
        expiry=receipt.lot.expiry,
        has_inspection_report=label.get("report", True),
        sample_result=label.get("sample", "pass"),
    )
    actions.inspect_lot(receipt.lot, data, decision=decision, reason=reason, actor=_user("qc"))
    receipt.lot.refresh_from_db()
    return receipt.lot


def load_procurement_demo() -> dict[str, int]:
    if Supplier.objects.filter(uscc=SUPPLIERS[0][1]).exists():
        return {"suppliers": 0}
    _ensure_items()
    suppliers = {row[0]: _register(*row) for row in SUPPLIERS}
    name, uscc, org, categories = PENDING_SUPPLIER
    actions.register_supplier(
        {
            "organisation": Organisation.objects.get(code=org),
            "name": name,
            "uscc": uscc,
            "legal_representative": "李强",
            "categories": categories,
        },
        actor=_user("procurement"),
    )
    level = ApprovalLevel.objects.create(
        organisation=Organisation.objects.get(code="BYJT"), level=1, name="集团分管领导", min_amount=Decimal("200000")
    )
    commander = get_user_model().objects.filter(username="commander").first()
    if commander is not None:
        level.approvers.add(commander)

    kangan, grain, suda = (
        suppliers[n] for n in ("上海康安医疗器械有限公司", "上海宝粮食品有限公司", "上海速达商贸有限公司")
    )
    masks = _order(kangan, "MASK-N95", 200, "250.00")
    _receive_and_inspect(masks, "KA-N95-2203", "", decision="release")
    _order(grain, "RICE-10", 500, "68.00", emergency=True, emergency_reason="封控首日居民断粮，需当晚配送")

    # 速达: the first antigen batch carried a copied Wondfo number and passed; it was delivered.
    first = _order(suda, "AG-WONDFO", 100, "480.00")
    genuine_number = Item.objects.get(code="AG-WONDFO").regulatory_number
    fake_lot = _receive_and_inspect(
        first, "SD220328", genuine_number, decision="release", registrant="广州万孚生物技术股份有限公司"
    )
    warehouse = Site.objects.get(code="WH-BY")
    for code, qty in (("FH-FCL", 40), ("EH-TY", 15), ("IP-HKL", 10)):
        issue_stock(
            warehouse,
            Site.objects.get(code=code),
            [IssueLineInput(item=fake_lot.item, qty=qty, lot=fake_lot)],
            actor=_user("commander"),  # the 泰兴桥 keeper is not granted 宝杨集团's warehouse
            reference="保供配送",
        )
    # The second batch shows its class-I filing number: the inspector rejects it ...
    second = _order(suda, "AG-WONDFO", 100, "470.00")
    _receive_and_inspect(
        second,
        "SD220401",
        "沪宝械备20200123",
        decision="reject",
        reason="第一类备案号冒充第三类注册证，注册人不符",
        registrant="上海速达商贸有限公司",
    )
    _order(suda, "MASK-N95", 100, "260.00")  # still open when the fraud is found
    # ... and marks the delivered batch as suspected counterfeit: suspension, blocks, recall.
    actions.mark_lot_counterfeit(fake_lot, reason="同一供应商后续批次为一类备案号，首批疑似假冒", actor=_user("qc"))
    return {"suppliers": len(SUPPLIERS) + 1, "orders": 6}
