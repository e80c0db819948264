from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.orgs.models import Organisation
from baogong.procurement import actions

GOOD_USCC = "91310113MA1FL2KQ20"
WARN_USCC = "91310113MA1FL2KQ59"
OTHER_USCC = "91310113132209535Y"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="licence.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def make_supplier(user, media):
    """A supplier through the real actions; approved with the licences its categories need unless told."""

    def make(
        name="上海康安医疗器械有限公司",
        uscc=GOOD_USCC,
        org="BYJT",
        categories=("protective",),
        approve=True,
        licences=("business", "device_business"),
        expires_on=None,
    ):
        officer = user("procurement")
        supplier = actions.register_supplier(
            {
                "organisation": Organisation.objects.get(code=org),
                "name": name,
                "uscc": uscc,
                "legal_representative": "王建国",
                "contact_name": "李敏",
                "contact_phone": "13800138000",
                "categories": list(categories),
            },
            actor=officer,
        )
        for kind in licences:
            actions.add_licence(
                supplier,
                {
                    "kind": kind,
                    "number": uscc if kind == "business" else f"沪宝食药监械经营许{kind[:3]}0001号",
                    "scope": "第二类、第三类医疗器械",
                    "issued_on": dt.date(2020, 1, 1),
                    "expires_on": expires_on or dt.date(2030, 1, 1),
                },
                document=pdf(),
                actor=officer,
            )
        if approve:
            supplier = actions.approve_supplier(supplier, actor=user("commander"))
        return supplier

    return make


ANTIGEN_NUMBER = "国械注准20223400346"
ANTIGEN_REGISTRANT = "南京诺唯赞医疗科技有限公司"
FAKE_ANTIGEN_NUMBER = "沪宝械备20200123"


@pytest.fixture
def items(user):
    from baogong.catalog.actions import create_item
    from baogong.catalog.models import Category

    commander = user("commander")
    antigen = create_item(
        {
            "code": "AG-20",
            "name": "新冠抗原检测试剂盒(胶体金法) 20人份",
            "category": Category.objects.get(code="MED-DEV-IVD"),
            "unit": "盒",
            "regulatory_number": ANTIGEN_NUMBER,
            "reference_price": Decimal("490.00"),
            "shelf_life_days": 540,
        },
        actor=commander,
    )
    mask = create_item(
        {
            "code": "MASK-N95",
            "name": "医用防护口罩 N95",
            "category": Category.objects.get(code="EPI-MASK"),
            "unit": "盒",
            "reference_price": Decimal("100.00"),
            "shelf_life_days": 730,
        },
        actor=commander,
    )
    rice = create_item(
        {
            "code": "RICE-10",
            "name": "大米 10kg",
            "category": Category.objects.get(code="LIFE-GRAIN"),
            "unit": "袋",
            "reference_price": Decimal("60.00"),
        },
        actor=commander,
    )
    return {"antigen": antigen, "mask": mask, "rice": rice}


@pytest.fixture
def place_order(user, make_supplier, items):
    """An order placed (no approval levels configured) through the real actions; a draft (a
    requisition not submitted) with ``submit=False``."""
    from baogong.orgs.models import Site

    def place(supplier=None, lines=None, emergency=False, submit=True):
        supplier = supplier or make_supplier(categories=("protective", "ivd"))
        warehouse = Site.objects.get(code="WH-BY")
        lines = lines or [("antigen", 100, "480.00")]
        order = actions.create_order(
            supplier.organisation,
            supplier,
            [
                actions.OrderLineInput(
                    item=items[key],
                    qty=qty,
                    unit_price=Decimal(price),
                    delivery_date=dt.date.today() + dt.timedelta(days=3),
                    warehouse=warehouse,
                )
                for key, qty, price in lines
            ],
            actor=user("procurement"),
        )
        if not submit:
            return order
        return actions.submit_order(
            order, actor=user("procurement"), emergency=emergency, emergency_reason="急用" if emergency else ""
        )

    return place


def receive(user, order, batch, qty=None, expiry=None, production=None):
    line = order.lines.get()
    return actions.receive_against_order(
        order,
        [
            actions.ReceiveLineInput(
                line=line,
                qty=qty or line.qty,
                batch=batch,
                production_date=production or dt.date.today() - dt.timedelta(days=30),
                expiry=expiry or dt.date.today() + dt.timedelta(days=400),
            )
        ],
        actor=user("procurement"),
    )


def good_inspection(receipt, **overrides):
    values = {
        "batch": receipt.lot.batch,
        "registration_number": ANTIGEN_NUMBER,
        "registrant": ANTIGEN_REGISTRANT,
        "production_date": receipt.lot.production_date,
        "expiry": receipt.lot.expiry,
        "has_inspection_report": True,
        "sample_result": "pass",
    }
    values.update(overrides)
    return actions.InspectionInput(**values)
