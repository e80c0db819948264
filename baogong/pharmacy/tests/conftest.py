from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from baogong.catalog import actions as catalog_actions
from baogong.catalog.models import Category
from baogong.core.audit import SystemActor
from baogong.inventory.actions import ReceiptLineInput, receive_stock
from baogong.orgs.models import AdministrativeArea, Site
from baogong.pharmacy import actions
from baogong.pharmacy.actions import OrderInput
from baogong.pharmacy.models import Drug, FeeSchedule

SYSTEM = SystemActor("test")
# A real 1×1 PNG.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def photo(content: bytes = PNG, name: str = "rx.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Any) -> None:
    """Prescription photos go to a temporary folder, not the real media store."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def make_drug(base: None):
    counter = {"n": 0}

    def make(generic: str = "布洛芬", *, sale_class: str = "otc_a", insurance_class: str = "A", **extra: Any) -> Drug:
        counter["n"] += 1
        n = counter["n"]
        item = catalog_actions.create_item(
            {
                "code": f"DRUG-{n:03d}",
                "name": extra.pop("item_name", generic),
                "unit": "盒",
                "category": Category.objects.get(code="DRUG"),
                "regulatory_number": extra.get("approval_number", f"国药准字H2004{1000 + n}"),
            },
            actor=SYSTEM,
        )
        data = {
            "item": item,
            "generic_name": generic,
            "brand_name": extra.pop("brand_name", ""),
            "approval_number": extra.pop("approval_number", f"国药准字H2004{1000 + n}"),
            "dosage_form": extra.pop("dosage_form", "tablet"),
            "strength": extra.pop("strength", "0.2g"),
            "pack": extra.pop("pack", "24片/盒"),
            "sale_class": sale_class,
            "insurance_class": insurance_class,
            "unit_price": Decimal(extra.pop("unit_price", "12.50")),
            **extra,
        }
        return actions.save_drug(data, actor=SYSTEM)

    return make


@pytest.fixture
def stock(base: None):
    def put(site_code: str, drug: Drug, qty: int, *, batch: str = "B1", expiry_days: int = 365) -> None:
        receive_stock(
            Site.objects.get(code=site_code),
            [
                ReceiptLineInput(
                    item=drug.item,
                    batch=batch,
                    qty=qty,
                    unit_cost=Decimal("5.00"),
                    expiry=today() + dt.timedelta(days=expiry_days),
                )
            ],
            actor=SYSTEM,
            reference="test stock",
        )

    return put


@pytest.fixture
def youyi(base: None) -> AdministrativeArea:
    return AdministrativeArea.objects.get(code="310113003")  # 友谊路街道: PH-02 sits at its centre, PH-01 close by


def checkout_data(youyi: AdministrativeArea, **extra: Any) -> dict[str, Any]:
    """The resident's address and contact as the no-login checkout form posts them."""
    return {
        "resident_name": "张三",
        "phone": "13812345678",
        "area": youyi.pk,
        "compound": "友谊新村",
        "building": "12号",
        "room": "301",
        **extra,
    }


@pytest.fixture
def fees(db: Any) -> FeeSchedule:
    FeeSchedule.objects.all().delete()
    return FeeSchedule.objects.create(
        valid_from=dt.date(2022, 1, 1), delivery_fee=Decimal("3.00"), packaging_fee=Decimal("1.00")
    )


@pytest.fixture
def order_input(youyi):
    def make(lines, **extra: Any) -> OrderInput:
        values = {
            "lines": lines,
            "resident_name": "张三",
            "phone": "13812345678",
            "area": youyi,
            "compound": "友谊新村",
            "building": "12号",
            "room": "301",
            **extra,
        }
        return OrderInput(**values)

    return make


def png_bytes() -> io.BytesIO:
    return io.BytesIO(PNG)
