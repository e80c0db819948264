"""Scanning with the camera, as a keeper's phone meets it: images of real code formats — GS1-128,
GS1 DataMatrix, EAN-13 and a QR code — are generated here, written as a Y4M video and fed to
Chromium's fake camera; the page decodes them with the vendored ZXing and fills the item, batch
and expiry (or opens the QR's link). The strict CSP of the site is on (no bypass)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import segno
from barcode import EAN13
from barcode.codex import Gs1_128
from barcode.writer import ImageWriter
from PIL import Image
from playwright.sync_api import expect
from ppf.datamatrix import DataMatrix

from baogong.catalog import actions as catalog_actions
from baogong.catalog.models import Category
from baogong.core.audit import SystemActor
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, login

SYSTEM = SystemActor("e2e")
GTIN = "06901234567892"
EAN = "6901234567892"
GS = "\x1d"
W, H = 1280, 720

# Decoding the fake camera's frames is CPU work in the page: on this 2-core machine with the three
# test passes running beside it, one scan took over 30 s (the whole test takes under 8 s alone).
SCAN_TIMEOUT_MS = 90_000


def expiry() -> dt.date:
    """A date a year ahead, as GS1 writes it (YYMMDD) and the page shows it."""
    day = dt.date.today() + dt.timedelta(days=365)
    return day.replace(day=min(day.day, 28))


def gs1_128() -> Image.Image:
    fnc1 = Gs1_128.FNC1_CHAR
    data = f"01{GTIN[:-1]}{GTIN[-1]}17{expiry():%y%m%d}10LOT-128{fnc1}21SN1"
    out = io.BytesIO()
    Gs1_128(data, writer=ImageWriter()).write(out, {"module_width": 0.25, "module_height": 12, "quiet_zone": 4})
    return Image.open(out).convert("L")


def datamatrix() -> Image.Image:
    matrix = DataMatrix(f"01{GTIN}17{expiry():%y%m%d}10LOT-DM{GS}21SN2").matrix
    size, scale, quiet = len(matrix), 10, 4
    img = Image.new("L", ((size + 2 * quiet) * scale, (len(matrix[0]) + 2 * quiet) * scale), 255)
    for y, row in enumerate(matrix):
        for x, bit in enumerate(row):
            if bit:
                img.paste(
                    0, ((x + quiet) * scale, (y + quiet) * scale, (x + quiet + 1) * scale, (y + quiet + 1) * scale)
                )
    return img


def ean13() -> Image.Image:
    out = io.BytesIO()
    EAN13(EAN, writer=ImageWriter()).write(out, {"module_width": 0.35, "module_height": 15})
    return Image.open(out).convert("L")


def qr(text: str) -> Image.Image:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=8, border=4)
    return Image.open(out).convert("L")


def y4m(image: Image.Image, path: Path) -> Path:
    """One 4:2:0 frame of ``image`` centred on white: Chromium's fake camera loops it."""
    image.thumbnail((W - 40, H - 40))
    canvas = Image.new("RGB", (W, H), "white")
    canvas.paste(image.convert("RGB"), ((W - image.width) // 2, (H - image.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (W // 2, H // 2)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{W} H{H} F10:1 Ip A1:1 C420jpeg\n".encode() + b"FRAME\n" + frame)
    return path


@pytest.fixture
def camera(browser, request, tmp_path):
    """A phone whose camera sees ``image`` (a browser of its own: the fake video is a launch flag)."""
    launched: list[Any] = []

    def make(image: Image.Image) -> Any:
        video = y4m(image, tmp_path / f"camera-{len(launched)}.y4m")
        args = [
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ]
        own = browser.browser_type.launch(executable_path=CHROMIUM, args=args, headless=True)
        launched.append(own)
        context = own.new_context(locale="zh-CN", **PHONE)
        context.grant_permissions(["camera"])
        page = context.new_page()
        request.node._pages = [*getattr(request.node, "_pages", []), page]
        return page

    yield make
    for own in launched:
        own.close()


@pytest.fixture
def empty_after():
    """SQLite's flush refuses to delete moves while balances exist (the ledger's trigger)."""
    yield
    from baogong.inventory.models import StockBalance, TraceCode

    TraceCode.objects.all().delete()
    StockBalance.objects.all().delete()


@pytest.fixture
def item_with_barcode(base):
    return catalog_actions.create_item(
        {
            "code": "SAL-500",
            "name": "生理盐水",
            "unit": "箱",
            "category": Category.objects.get(code="EPI-MASK"),
            "gtin": EAN,
        },
        actor=SYSTEM,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("make_image", "batch"),
    [(gs1_128, "LOT-128"), (datamatrix, "LOT-DM"), (ean13, "")],
    ids=["gs1-128", "gs1-datamatrix", "ean-13"],
)
def test_the_camera_fills_item_batch_and_expiry_on_the_receipt(
    live_server, camera, item_with_barcode, make_image, batch
):
    page = camera(make_image())
    login(page, live_server.url, "warehouse")
    page.goto(live_server.url + "/inventory/receive/")
    page.click("[data-scanner-start]")
    expect(page.locator("#id_lines-0-item")).not_to_have_value("", timeout=SCAN_TIMEOUT_MS)
    assert page.input_value("#id_lines-0-item") == "SAL-500"
    assert page.input_value("#id_lines-0-batch") == batch
    assert page.input_value("#id_lines-0-expiry") == (expiry().isoformat() if batch else "")
    assert "生理盐水" in page.inner_text("[data-scanner-status]")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_delivery_note_qr_opens_its_link(base, live_server, camera):
    target = live_server.url + "/inventory/trace/"
    page = camera(qr(target))
    login(page, live_server.url, "commander")
    page.goto(live_server.url + "/distribution/shipments/")
    page.click("[data-scanner-start]")
    page.wait_for_url(target, timeout=SCAN_TIMEOUT_MS)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_without_a_camera_the_code_is_typed(base, live_server, new_page, item_with_barcode):
    page = new_page(phone=True)
    login(page, live_server.url, "warehouse")
    page.goto(live_server.url + "/inventory/receive/")
    page.fill("[data-scanner-manual]", f"(01){GTIN}(17){expiry():%y%m%d}(10)TYPED-1")
    page.click("[data-scanner-apply]")
    expect(page.locator("#id_lines-0-batch")).to_have_value("TYPED-1")
    assert page.input_value("#id_lines-0-item") == "SAL-500"
    page.fill("[data-scanner-manual]", "6901234567893")
    page.click("[data-scanner-apply]")
    page.wait_for_selector("[data-scanner-status].text-danger")
    assert "校验" in page.inner_text("[data-scanner-status]") or "check digit" in page.inner_text(
        "[data-scanner-status]"
    )


def code128(text: str) -> Image.Image:
    """The 20-digit drug traceability code as packs print it: a Code 128 barcode."""
    from barcode import Code128

    out = io.BytesIO()
    Code128(text, writer=ImageWriter()).write(out, {"module_width": 0.3, "module_height": 12})
    return Image.open(out).convert("L")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_pack_scanned_on_the_lookup_page_shows_its_receipt(live_server, camera, item_with_barcode, empty_after):
    from baogong.inventory import actions as inventory_actions
    from baogong.inventory.actions import ReceiptLineInput
    from baogong.inventory.trace import PackInput
    from baogong.orgs.models import Site

    site = Site.objects.get(code="WH-TXQ")
    inventory_actions.receive_stock(
        site,
        [ReceiptLineInput(item=item_with_barcode, batch="B-TR", qty=5, unit_cost=Decimal("1"), expiry=expiry())],
        actor=SYSTEM,
    )
    lot = item_with_barcode.lots.get(batch="B-TR")
    code = "81234560000000421234"
    inventory_actions.receive_trace_codes(site, lot, [PackInput(code)], reference="GR-E2E", actor=SYSTEM)
    page = camera(code128(code))
    login(page, live_server.url, "warehouse")
    page.goto(live_server.url + "/inventory/trace/")
    page.click("[data-scanner-start]")
    expect(page.locator("#trace-receipt")).to_contain_text("GR-E2E", timeout=SCAN_TIMEOUT_MS)
    assert page.input_value("#id_code") == code


# --- shipment QR codes on the driver's and the receiver's phone pages ----------------------------
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_driver_scans_a_delivery_note_qr_printed_with_the_public_address(base, live_server, camera):
    from tests.e2e.field_setup import shipments_on_the_way

    first, second = shipments_on_the_way(2)
    # the note was printed with the site's public address, not the one this phone uses
    page = camera(qr(f"https://baogong.example.org/d/{second.pod_token}/"))
    login(page, live_server.url, "driver")
    page.goto(live_server.url + "/fleet/my-shipments/")
    page.click("[data-scanner-start]")
    page.wait_for_url(f"{live_server.url}/d/{second.pod_token}/", timeout=SCAN_TIMEOUT_MS)
    page.wait_for_selector("#pod-form")
    assert second.number in page.inner_text("main")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_without_network_or_camera_the_shipment_number_opens_the_kept_delivery_page(base, live_server, new_page):
    from tests.e2e.field_setup import shipments_on_the_way
    from tests.e2e.test_offline import worker_ready

    first, second = shipments_on_the_way(2)
    page = new_page(phone=True)
    login(page, live_server.url, "driver")
    page.goto(live_server.url + "/fleet/my-shipments/")
    worker_ready(page)
    page.reload()
    page.wait_for_function("() => document.documentElement.getAttribute('data-kept-offline') === '2'")
    page.context.set_offline(True)
    page.reload()
    page.fill("[data-scanner-manual]", "NO-SUCH-1")
    page.press("[data-scanner-manual]", "Enter")
    expect(page.locator("[data-scanner-status]")).to_contain_text("NO-SUCH-1")
    page.fill("[data-scanner-manual]", first.number.lower())
    page.press("[data-scanner-manual]", "Enter")
    page.wait_for_url(f"{live_server.url}/d/{first.pod_token}/")
    page.wait_for_selector("#pod-form")  # opened from the phone, without network
    # the receiver's page: the link under another note's QR code opens that delivery
    page.click("#pod-scan summary")
    page.fill("#pod-scan [data-scanner-manual]", f"https://baogong.example.org/d/{first.pod_token}/")
    page.press("#pod-scan [data-scanner-manual]", "Enter")
    expect(page.locator("#pod-scan [data-scanner-status]")).to_contain_text("本页")
    page.fill("#pod-scan [data-scanner-manual]", f"https://baogong.example.org/d/{second.pod_token}/")
    page.press("#pod-scan [data-scanner-manual]", "Enter")
    page.wait_for_url(f"{live_server.url}/d/{second.pod_token}/")
    page.wait_for_selector("#pod-form")
    page.context.set_offline(False)
    page.goto("about:blank")
