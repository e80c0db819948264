"""A counterfeit antigen kit caught at inspection, in the browser: 鑫诚's first lot was released and
delivered to the field hospital and the elderly home; its second lot arrives with a class-I
filing number (沪宝械备…) where a class-III NMPA registration (国械注准…40…) is required. The
inspector reads the red flags, rejects the lot as counterfeit and marks it; the procurement
officer blacklists the supplier; the recall page lists where the first lot went, and every unit
of both lots is in quarantine, at the warehouse and at the recipients."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.catalog.actions import create_item
from baogong.catalog.models import Category
from baogong.inventory.actions import IssueLineInput, issue_stock
from baogong.inventory.models import StockBalance
from baogong.orgs.models import Organisation, Site
from baogong.procurement import actions
from baogong.procurement.models import BlacklistEntry, CounterfeitCase, PurchaseReceipt
from tests.e2e.conftest import login, no_horizontal_scroll, shot

JOURNEY = "counterfeit"
USCC = "91310113MA1FL2KQ20"
GENUINE = "国械注准20223400346"
GENUINE_REGISTRANT = "南京诺唯赞医疗科技有限公司"
FAKE = "沪宝械备20200123"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def user(name):
    return get_user_model().objects.get(username=name)


def given_a_supplier_whose_first_lot_was_delivered():
    officer = user("procurement")
    supplier = actions.register_supplier(
        {
            "organisation": Organisation.objects.get(code="BYJT"),
            "name": "上海鑫诚医疗用品有限公司",
            "uscc": USCC,
            "legal_representative": "王建国",
            "contact_name": "李敏",
            "contact_phone": "13800138000",
            "categories": ["protective", "ivd"],
        },
        actor=officer,
    )
    for kind in ("business", "device_business"):
        actions.add_licence(
            supplier,
            {
                "kind": kind,
                "number": USCC if kind == "business" else "沪宝食药监械经营许20200001号",
                "scope": "第二类、第三类医疗器械",
                "issued_on": dt.date(2020, 1, 1),
                "expires_on": dt.date(2030, 1, 1),
            },
            document=SimpleUploadedFile("licence.pdf", PDF, content_type="application/pdf"),
            actor=officer,
        )
    supplier = actions.approve_supplier(supplier, actor=user("commander"))
    kit = create_item(
        {
            "code": "AG-20",
            "name": "新冠抗原检测试剂盒(胶体金法) 20人份",
            "category": Category.objects.get(code="MED-DEV-IVD"),
            "unit": "盒",
            "regulatory_number": GENUINE,
            "reference_price": Decimal("490.00"),
            "shelf_life_days": 540,
        },
        actor=user("commander"),
    )
    warehouse = Site.objects.get(code="WH-BY")
    receipts = []
    for batch, qty in (("AG-0401", 100), ("AG-0410", 60)):
        order = actions.create_order(
            supplier.organisation,
            supplier,
            [
                actions.OrderLineInput(
                    item=kit,
                    qty=qty,
                    unit_price=Decimal("480.00"),
                    delivery_date=dt.date.today(),
                    warehouse=warehouse,
                )
            ],
            actor=officer,
        )
        order = actions.submit_order(order, actor=officer)
        [receipt] = actions.receive_against_order(
            order,
            [
                actions.ReceiveLineInput(
                    line=order.lines.get(),
                    qty=qty,
                    batch=batch,
                    production_date=dt.date.today() - dt.timedelta(days=30),
                    expiry=dt.date.today() + dt.timedelta(days=400),
                )
            ],
            actor=officer,
        )
        receipts.append(receipt)
    first, second = receipts
    actions.inspect_lot(
        first.lot,
        actions.InspectionInput(
            batch="AG-0401",
            registration_number=GENUINE,
            registrant=GENUINE_REGISTRANT,
            production_date=first.lot.production_date,
            expiry=first.lot.expiry,
            has_inspection_report=True,
            sample_result="pass",
        ),
        decision="release",
        actor=user("qc"),
    )
    first.lot.refresh_from_db()
    hospital, home = Site.objects.get(code="FH-FCL"), Site.objects.get(code="EH-TY")
    hospital.contact_name, hospital.contact_phone = "赵医生", "13912345678"
    hospital.save()
    issue_stock(warehouse, hospital, [IssueLineInput(item=kit, qty=30, lot=first.lot)], actor=user("commander"))
    issue_stock(warehouse, home, [IssueLineInput(item=kit, qty=20, lot=first.lot)], actor=user("commander"))
    return supplier, first.lot, second


@pytest.mark.django_db(transaction=True)
def test_inspector_rejects_a_counterfeit_kit_and_the_recall_list_appears(
    base, live_server, new_page, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.BAOGONG_WEBHOOK_URL = ""
    supplier, delivered_lot, receipt = given_a_supplier_whose_first_lot_was_delivered()
    suspect = receipt.lot

    # The inspector opens the waiting lot and reads the label into the form.
    page = new_page()
    login(page, live_server.url, "qc")
    page.wait_for_selector("h1:has-text('我的工作')")
    page.goto(f"{live_server.url}/procurement/inspections/")
    assert "AG-0410" in page.inner_text("main table")
    shot(page, JOURNEY, "01-waiting-lots")
    page.click(f"a[href='/procurement/inspections/receipt/{receipt.pk}/']:has-text('检验')")
    page.wait_for_selector("#id_registration_number")
    page.fill("#id_registration_number", FAKE)
    page.fill("#id_registrant", "上海鑫诚医疗用品有限公司")
    page.check("#id_has_inspection_report")
    page.select_option("#id_sample_result", "pass")
    page.select_option("#id_decision", "release")
    page.click("button:has-text('记录检验结果')")

    # Release is refused and the red flags are listed.
    page.wait_for_selector(".alert-danger, .invalid-feedback, .errorlist")
    errors = page.inner_text("main")
    assert "该批次不能放行" in errors
    assert "抗原试剂疑点" in errors and "第一类备案编号" in errors
    assert f"{FAKE}" in errors
    shot(page, JOURNEY, "02-red-flags")
    suspect.refresh_from_db()
    assert suspect.qc_status == "pending"

    # Rejected as counterfeit.
    page.select_option("#id_decision", "reject")
    page.fill("#id_reason", "一类备案号冒充第三类注册证，疑似假冒")
    page.click("button:has-text('记录检验结果')")
    page.wait_for_selector("text=检验结果已记录")
    suspect.refresh_from_db()
    assert suspect.qc_status == "rejected"
    page.click(f"a:has-text('#{suspect.batch}')")
    page.wait_for_selector("#cf-reason")
    page.fill("#cf-reason", "同一供应商后续批次为一类备案号，首批疑似假冒")
    shot(page, JOURNEY, "03-mark-counterfeit")
    page.click("button:has-text('标记为疑似假冒')")
    page.wait_for_selector("text=召回清单已生成")
    case = CounterfeitCase.objects.get()
    assert page.url.endswith(f"/procurement/recalls/{case.pk}/")

    # The recall list shows where the delivered lot went.
    page.goto(f"{live_server.url}/procurement/recalls/")
    assert "AG-0410" in page.inner_text("main table")
    page.click(f"a[href='/procurement/recalls/{case.pk}/']")
    page.wait_for_selector("text=富长路方舱医院")
    rows = [r.split("\t") for r in page.locator("main table").first.inner_text().splitlines()[1:]]
    assert [(r[0], r[1].strip(), r[2]) for r in rows] == [
        ("AG-0401", "月浦恬逸养老院 EH-TY", "20"),
        ("AG-0401", "富长路方舱医院 FH-FCL", "30"),
    ]
    assert "139****5678" in page.inner_text("main")  # masked for the inspector
    shot(page, JOURNEY, "04-recall-list")

    # The procurement officer blacklists the supplier (a phone will do).
    officer = new_page(phone=True)
    login(officer, live_server.url, "procurement")
    officer.wait_for_selector("h1:has-text('我的工作')")
    officer.goto(f"{live_server.url}/procurement/suppliers/{supplier.pk}/")
    officer.select_option("#id_action", "blacklist")
    officer.fill("#id_reason", "供应假冒抗原试剂")
    officer.click("button:has-text('应用')")
    officer.wait_for_selector("text=供应假冒抗原试剂")
    assert no_horizontal_scroll(officer)
    shot(officer, JOURNEY, "05-blacklisted-phone")

    # The database: supplier blacklisted, both lots held in quarantine wherever they are.
    supplier.refresh_from_db()
    assert supplier.status == "blacklisted"
    assert BlacklistEntry.objects.filter(uscc=USCC).count() == 1
    delivered_lot.refresh_from_db()
    suspect.refresh_from_db()
    assert (delivered_lot.qc_status, suspect.qc_status) == ("quarantined", "rejected")
    assert suspect.is_suspected_counterfeit
    assert set(case.lots.all()) == {delivered_lot, suspect}

    def held(lot):
        balances = StockBalance.objects.filter(lot=lot, on_hand__gt=0).select_related("location__site")
        return {(b.location.site.code, b.location.kind): b.on_hand for b in balances}

    # The delivered lot: the warehouse's units moved to quarantine, the recipients' units listed for recall.
    assert held(delivered_lot) == {("WH-BY", "quarantine"): 50, ("FH-FCL", "recipient"): 30, ("EH-TY", "recipient"): 20}
    # The rejected lot never left the warehouse and can never be reserved or issued.
    assert sum(held(suspect).values()) == 60 and {site for site, _kind in held(suspect)} == {"WH-BY"}
    assert PurchaseReceipt.objects.filter(lot=suspect).count() == 1
