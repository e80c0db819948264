"""Accessibility and language of the main pages, in Chinese, at desktop and phone size.

axe-core (from the npm registry, see the ``axe_js`` fixture) runs inside each page: no violation
of impact serious or critical is allowed. The visible text of each page, with the Chinese locale,
must have no English words except an allow-list of brand names, units and codes."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.catalog import actions as catalog_actions
from baogong.catalog.models import Category
from baogong.core.audit import SystemActor
from baogong.distribution import actions as distribution
from baogong.distribution.actions import LineInput
from baogong.fleet.tests.registered import registered_transport
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs.models import Organisation, Site
from baogong.people import actions as people
from baogong.pharmacy.demo_data import load_pharmacy_demo
from baogong.procurement import actions as procurement
from baogong.property.demo_data import load_property_demo
from tests.e2e.conftest import ARTIFACTS, login

SYSTEM = SystemActor("e2e")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Words that may stay in Latin letters on a Chinese page: brand and product names, units, file
# formats and standard abbreviations. Codes (all capitals and digits: GB 19083, N95, WH-TXQ,
# RQ20220401-000001) are allowed by the pattern itself, which only looks at words with lower case.
ALLOWED_WORDS = {
    "km", "kg", "ml", "mg", "cm", "mm", "g", "m", "t", "h", "min",
    "Excel", "Markdown", "xlsx", "pdf", "csv", "json", "Baogong", "htmx", "OpenAPI", "iOS", "Android",
    "e", "x",  # 1e3, 2x
    # login names of the demo accounts: identifiers shown where a record names its user, like codes
    "commander", "warehouse", "procurement", "qc", "dispatcher", "driver", "pharmacist", "health",
    "property", "auditor", "tenant",
}  # fmt: skip
ENGLISH_WORD = re.compile(r"(?<![\w@./:-])([A-Za-z]*[a-z][A-Za-z]*)(?![\w@/:-])")


def user(name):
    return get_user_model().objects.get(username=name)


def given_a_working_day(tmp_path):
    """A little of everything, through the real actions, so the pages have rows to show."""
    load_pharmacy_demo(units=5)
    load_property_demo()
    item = catalog_actions.create_item(
        {"code": "N95", "name": "医用防护口罩", "unit": "盒", "category": Category.objects.get(code="EPI-MASK")},
        actor=SYSTEM,
    )
    txq = Site.objects.get(code="WH-TXQ")
    inventory_actions.receive_stock(
        txq,
        [ReceiptLineInput(item=item, batch="B1", qty=30, unit_cost=Decimal("250"), expiry=dt.date(2030, 1, 1))],
        actor=SYSTEM,
        qc_status="released",
    )
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    shipped = distribution.file_request(
        Site.objects.get(code="FH-FCL"), [LineInput(item=item, qty=20, needed_by=tomorrow)], actor=SYSTEM, submit=True
    )
    distribution.approve_request(shipped, actor=SYSTEM)
    distribution.confirm_allocation(distribution.preview_allocation([txq], actor=SYSTEM), actor=SYSTEM)
    (shipment,) = distribution.plan_shipments(actor=SYSTEM)
    distribution.pick_shipment(shipment, actor=SYSTEM)
    distribution.load_shipment(shipment, actor=SYSTEM, **registered_transport())
    distribution.dispatch_shipment(shipment, actor=SYSTEM)
    waiting = distribution.file_request(
        Site.objects.get(code="EH-TY"), [LineInput(item=item, qty=40, needed_by=tomorrow)], actor=SYSTEM, submit=True
    )
    distribution.approve_request(waiting, actor=SYSTEM)
    run = distribution.preview_allocation([txq], actor=SYSTEM)
    link = distribution.create_request_link(Site.objects.get(code="IP-HKL"), actor=SYSTEM)

    officer = user("procurement")
    supplier = procurement.register_supplier(
        {
            "organisation": Organisation.objects.get(code="BYJT"),
            "name": "上海康安医疗器械有限公司",
            "uscc": "91310113MA1FL2KQ20",
            "legal_representative": "王建国",
            "contact_name": "李敏",
            "contact_phone": "13800138000",
            "categories": ["protective"],
        },
        actor=officer,
    )
    for kind in ("business", "device_business"):
        procurement.add_licence(
            supplier,
            {
                "kind": kind,
                "number": "91310113MA1FL2KQ20" if kind == "business" else "沪宝食药监械经营许20200001号",
                "scope": "第二类、第三类医疗器械",
                "issued_on": dt.date(2020, 1, 1),
                "expires_on": dt.date(2030, 1, 1),
            },
            document=SimpleUploadedFile("licence.pdf", PDF, content_type="application/pdf"),
            actor=officer,
        )
    supplier = procurement.approve_supplier(supplier, actor=user("commander"))
    order = procurement.create_order(
        supplier.organisation,
        supplier,
        [
            procurement.OrderLineInput(
                item=item,
                qty=50,
                unit_price=Decimal("240.00"),
                delivery_date=dt.date.today(),
                warehouse=Site.objects.get(code="WH-BY"),
            )
        ],
        actor=officer,
    )
    order = procurement.submit_order(order, actor=officer)
    [receipt] = procurement.receive_against_order(
        order,
        [
            procurement.ReceiveLineInput(
                line=order.lines.get(),
                qty=50,
                batch="KA-01",
                production_date=dt.date.today(),
                expiry=dt.date(2028, 1, 1),
            )
        ],
        actor=officer,
    )
    person = people.create_person(
        {
            "kind": "staff",
            "name": "王建国",
            "organisation": Organisation.objects.get(code="CYGS"),
            "home_site": txq,
            "id_number": "310113198001010013",
            "phone": "13812345678",
        },
        actor=user("health"),
    )
    from baogong.core.notify import notify

    notify("泰兴桥大仓：2 个批次临期", "- N95 #B1：30 盒，2026-12-20 过期", level="warning", link="/inventory/expiry/",
           organisation_id=txq.organisation_id, site_id=txq.pk)  # fmt: skip
    notify("泰兴桥大仓：1 个批次已过期", "过期库存不能出库。", level="critical",
           organisation_id=txq.organisation_id, site_id=txq.pk)  # fmt: skip
    return {
        "request": shipped,
        "run": run,
        "shipment": shipment,
        "link": link,
        "order": order,
        "receipt": receipt,
        "person": person,
    }


def staff_pages(data):
    return [
        ("commander", "/"),
        ("commander", "/distribution/requests/"),
        ("commander", f"/distribution/requests/{data['request'].pk}/"),
        ("commander", "/distribution/allocation/"),
        ("commander", f"/distribution/allocation/{data['run'].pk}/"),
        ("commander", "/distribution/shipments/"),
        ("commander", f"/distribution/shipments/{data['shipment'].pk}/"),
        ("commander", "/inventory/"),
        ("commander", "/procurement/suppliers/"),
        ("commander", "/procurement/orders/"),
        ("commander", f"/procurement/orders/{data['order'].pk}/"),
        ("commander", "/procurement/inspections/"),
        ("commander", f"/procurement/inspections/receipt/{data['receipt'].pk}/"),
        ("commander", "/procurement/recalls/"),
        ("pharmacist", "/pharmacy/orders/"),
        ("health", "/people/"),
        ("health", f"/people/{data['person'].pk}/"),
        ("health", "/people/incidents/"),
        ("property", "/property/"),
        ("property", "/property/leases/"),
        ("commander", "/reports/daily/"),
        ("commander", "/reports/summary/"),
        ("commander", "/sites/"),
        ("commander", "/catalog/items/"),
        ("commander", "/audit/"),
        ("warehouse", "/notifications/"),
    ]


def public_pages(data):
    return [
        "/login/",
        "/pharmacy/order/",
        f"/d/{data['shipment'].pod_token}/",
        f"/r/{data['link'].token}/",
    ]


def visit_all(new_page, base_url, data, *, phone, visit):
    """Open every page (staff pages logged in as the role that uses them) and call ``visit``."""
    found = {}
    pages = {}
    for username, path in staff_pages(data):
        if username not in pages:
            pages[username] = new_page(phone=phone, bypass_csp=True)
            login(pages[username], base_url, username)
            pages[username].wait_for_load_state()
        page = pages[username]
        response = page.goto(base_url + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        problems = visit(page)
        if problems:
            found[path] = problems
    anonymous = new_page(phone=phone, bypass_csp=True)
    for path in public_pages(data):
        response = anonymous.goto(base_url + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        problems = visit(anonymous)
        if problems:
            found[path] = problems
    return found


def axe_violations(axe_js):
    def visit(page):
        page.add_script_tag(path=str(axe_js))
        return page.evaluate(
            """async () => {
                const timeout = new Promise((_, reject) =>
                    setTimeout(() => reject(new Error("axe.run took over 120 s")), 120000));
                const result = await Promise.race([axe.run(document, {resultTypes: ["violations"]}), timeout]);
                return result.violations
                    .filter(v => v.impact === "serious" || v.impact === "critical")
                    .map(v => `${v.impact} ${v.id}: ${v.help} — ` +
                         v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
            }"""
        )

    return visit


def report(name, found):
    """Every problem, one a line (also kept in test-artifacts/ to read in full)."""
    text = "\n".join(f"{path}: {problem}" for path, problems in sorted(found.items()) for problem in problems)
    if text:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    return text


# Visible text, labels read out by screen readers and placeholders; code and what the page marks
# translate="no" (raw audit data, user names) are not prose and are left out, and so are title
# tooltips (the reports put each figure's formula there, as in their <code> column).
PAGE_TEXT = """() => {
    const style = document.createElement("style");
    style.textContent = "[translate=no], code, kbd, samp { display: none !important; }";
    document.head.appendChild(style);
    const parts = [document.title, document.body.innerText];
    for (const el of document.querySelectorAll("[aria-label], [placeholder], img[alt]")) {
        if (el.closest("[translate=no]")) { continue; }
        for (const name of ["aria-label", "placeholder", "alt"]) {
            if (el.hasAttribute(name)) { parts.push(el.getAttribute(name)); }
        }
    }
    style.remove();
    return parts.join("\\n");
}"""


# Domain messages are bilingual by design ("无有效阴性检测 / no valid negative test"): the English
# half after a Chinese one is a translation, not a missing one.
ENGLISH_HALF = re.compile(r"(?<=[\u4e00-\u9fff）)」]) / [^\u4e00-\u9fff\n]*")


def english_words(page):
    text = ENGLISH_HALF.sub("", page.evaluate(PAGE_TEXT))
    return sorted({w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED_WORDS})


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_main_pages_have_no_serious_axe_violations(base, live_server, new_page, axe_js, phone, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    data = given_a_working_day(tmp_path)
    found = visit_all(new_page, live_server.url, data, phone=phone, visit=axe_violations(axe_js))
    assert not found, report(f"axe-{'phone' if phone else 'desktop'}", found)


@pytest.mark.django_db(transaction=True)
def test_chinese_pages_have_no_untranslated_english(base, live_server, new_page, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    data = given_a_working_day(tmp_path)
    found = visit_all(new_page, live_server.url, data, phone=False, visit=english_words)
    assert not found, report("english", found)


def test_the_english_pattern_flags_words_and_spares_codes():
    sample = (
        "发运单 RQ20220401-000001 WH-TXQ N95 GB 19083 12.5 km Excel Transfers of Reservation x2 file_request\n"
        "无有效阴性检测（48小时内核酸） / no valid negative test (PCR within 48 h)"
    )
    words = {w for w in ENGLISH_WORD.findall(ENGLISH_HALF.sub("", sample)) if w not in ALLOWED_WORDS}
    assert words == {"Transfers", "of", "Reservation"}
