"""``POST /api/v1/inventory/scan/``: a scanned GS1 code names the item by its barcode and the lot
by its batch; a bad scan is a field-level 400."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from baogong.catalog import actions as catalog_actions

GS = "\x1d"


@pytest.fixture
def saline(base, system):
    return catalog_actions.create_item(
        {"code": "SAL-500", "name": "生理盐水", "unit": "箱", "gtin": "6901234567892"}, actor=system
    )


def post(user, text):
    client = APIClient()
    client.force_authenticate(user)
    return client.post("/api/v1/inventory/scan/", {"text": text}, format="json")


def test_a_gs1_128_scan_names_the_item_lot_and_expiry(saline, user):
    response = post(user("warehouse"), f"]C101069012345678921727123110LOT-128{GS}21SN1")
    assert response.status_code == 200
    body = response.json()
    assert (body["item"]["code"], body["lot_number"], body["expiry"], body["serial"], body["lot"]) == (
        "SAL-500",
        "LOT-128",
        "2027-12-31",
        "SN1",
        None,
    )


def test_the_item_barcode_is_kept_as_14_digits_and_checked(saline, system):
    saline.refresh_from_db()
    assert saline.gtin == "06901234567892"
    with pytest.raises(Exception) as info:
        catalog_actions.create_item({"code": "X", "name": "x", "unit": "箱", "gtin": "6901234567893"}, actor=system)
    assert "gtin" in info.value.details


@pytest.mark.parametrize("text", ["6901234567893", "", "x" * 501])
def test_a_bad_scan_is_a_field_level_400(saline, user, text):
    response = post(user("warehouse"), text)
    assert response.status_code == 400
    assert "text" in response.json()["details"]


def test_anonymous_is_refused(saline):
    assert APIClient().post("/api/v1/inventory/scan/", {"text": "6901234567892"}, format="json").status_code in (
        401,
        403,
    )
