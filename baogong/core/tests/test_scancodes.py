"""The scan parser: GS1 element strings in every shape a scanner sends, plain GTINs, 追溯码."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from baogong.core import scancodes
from baogong.core.scancodes import GS, ScanError, parse

TODAY = dt.date(2026, 6, 1)
GTIN = "06901234567892"


def test_check_digit_of_a_known_ean13():
    # given the EAN-13 printed under a real barcode (GS1's own example, 4006381333931)
    assert scancodes.gs1_check_digit("400638133393") == "1"
    assert scancodes.is_valid_gtin("4006381333931")
    assert not scancodes.is_valid_gtin("4006381333932")


@pytest.mark.parametrize(
    "text",
    [
        f"]C101{GTIN}1727123110A123{GS}21SN9",
        f"]d201{GTIN}17271231{GS}10A123{GS}21SN9",
        f"01{GTIN}17271231{GS}10A123{GS}21SN9",
        f"01{GTIN}1727123110A123<GS>21SN9",
        f"(01){GTIN}(17)271231(10)A123(21)SN9",
        f"]Q301{GTIN}1727123110A123{GS}21SN9{GS}",
    ],
)
def test_gs1_shapes_give_gtin_lot_expiry_serial(text):
    scan = parse(text, today=TODAY)
    assert (scan.kind, scan.gtin, scan.lot, scan.expiry, scan.serial) == (
        "gs1",
        GTIN,
        "A123",
        dt.date(2027, 12, 31),
        "SN9",
    )


def test_day_zero_is_the_last_day_of_the_month_and_the_century_slides():
    assert parse(f"01{GTIN}17280200", today=TODAY).expiry == dt.date(2028, 2, 29)
    # 51 years ahead of 2026 is the last century; 50 behind is the next
    assert scancodes.gs1_date("770101", today=TODAY) == dt.date(1977, 1, 1)
    assert scancodes.gs1_date("760101", today=TODAY) == dt.date(2076, 1, 1)


def test_plain_ean13_is_a_gtin_and_the_traceability_code_is_recognised():
    assert parse("6901234567892", today=TODAY).gtin == GTIN
    scan = parse(" 81234567890123456789 ", today=TODAY)
    assert (scan.kind, scan.trace_code) == ("trace_code", "81234567890123456789")
    assert scancodes.trace_product_prefix(scan.trace_code) == "8123456"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "Nothing"),
        ("6901234567893", "check digit"),
        (f"0106901234567893{GS}10A", "check digit"),
        (f"01{GTIN}17271332", "month"),
        (f"01{GTIN}17270231", "does not exist"),
        (f"01{GTIN}99x", "Unknown"),
        (f"01{GTIN}10{'L' * 21}", "too long"),
        ("0106901", "too short"),
        ("hello world", "neither"),
    ],
)
def test_bad_scans_are_refused_with_a_reason(text, words):
    with translation.override("en"), pytest.raises(ScanError) as info:
        parse(text, today=TODAY)
    assert words in info.value.reason


def test_the_reason_is_in_chinese_on_chinese_pages():
    with translation.override("zh-hans"), pytest.raises(ScanError) as info:
        parse("6901234567893", today=TODAY)
    assert info.value.reason == "条码 6901234567893 校验位不正确。"


def test_trace_code_check():
    assert scancodes.check_trace_code("8123 4567 8901 2345 6789") == "81234567890123456789"
    for bad in ("8123456789012345678", "8123456789012345678X", ""):
        with pytest.raises(ScanError):
            scancodes.check_trace_code(bad)


@given(
    gtin_body=st.text("0123456789", min_size=13, max_size=13),
    lot=st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=20),
    serial=st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=20),
    expiry=st.dates(dt.date(2000, 1, 1), dt.date(2075, 12, 31)),
)
def test_any_encoded_element_string_parses_back(gtin_body, lot, serial, expiry):
    gtin = gtin_body + scancodes.gs1_check_digit(gtin_body)
    text = f"]C101{gtin}17{expiry:%y%m%d}10{lot}{GS}21{serial}"
    scan = parse(text, today=TODAY)
    assert (scan.gtin, scan.lot, scan.serial, scan.expiry) == (gtin, lot, serial, expiry)
