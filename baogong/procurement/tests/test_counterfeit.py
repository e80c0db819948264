import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from baogong.core.models import AuditEvent, Notification
from baogong.inventory.actions import IssueLineInput, issue_stock
from baogong.inventory.models import StockBalance
from baogong.orgs.models import Site
from baogong.procurement import actions, queries
from baogong.procurement.errors import InspectionInvalid, LotNotFromSupplier
from baogong.procurement.models import CounterfeitCase

from .conftest import OTHER_USCC, good_inspection, receive


@pytest.fixture
def delivered(user, make_supplier, place_order, items):
    """Two released lots of antigen kits from one supplier; lot A partly delivered to two recipients."""
    supplier = make_supplier(categories=("protective", "ivd"))
    first = place_order(supplier=supplier)
    second = place_order(supplier=supplier, lines=[("antigen", 50, "480.00")])
    [a] = receive(user, first, "AG-A")
    [b] = receive(user, second, "AG-B")
    for receipt in (a, b):
        actions.inspect_lot(receipt.lot, good_inspection(receipt), decision="release", actor=user("qc"))
        receipt.lot.refresh_from_db()
    warehouse = Site.objects.get(code="WH-BY")
    hospital = Site.objects.get(code="FH-FCL")
    home = Site.objects.get(code="EH-TY")
    hospital.contact_name, hospital.contact_phone = "赵医生", "13912345678"
    hospital.save()
    issue_stock(
        warehouse, hospital, [IssueLineInput(item=items["antigen"], qty=30, lot=a.lot)], actor=user("commander")
    )
    issue_stock(warehouse, home, [IssueLineInput(item=items["antigen"], qty=20, lot=a.lot)], actor=user("commander"))
    pending = actions.create_order(
        supplier.organisation,
        supplier,
        [
            actions.OrderLineInput(
                item=items["mask"],
                qty=10,
                unit_price=items["mask"].reference_price,
                delivery_date=first.lines.get().delivery_date,
                warehouse=warehouse,
            )
        ],
        actor=user("procurement"),
    )
    return {"supplier": supplier, "a": a.lot, "b": b.lot, "open_order": pending, "received": first}


def test_marking_a_delivered_lot_counterfeit_quarantines_everywhere_and_lists_every_recipient(
    user, delivered, settings
):
    settings.BAOGONG_WEBHOOK_URL = ""
    lot_a, lot_b = delivered["a"], delivered["b"]
    case = actions.mark_lot_counterfeit(lot_a, reason="市场监管局通报该批次为假冒", actor=user("qc"))

    supplier = delivered["supplier"]
    supplier.refresh_from_db()
    assert supplier.status == "suspended"
    delivered["open_order"].refresh_from_db()
    assert delivered["open_order"].status == "blocked"
    delivered["received"].refresh_from_db()
    assert delivered["received"].status == "received"  # closed orders stay as they were
    assert list(case.blocked_orders.all()) == [delivered["open_order"]]

    lot_a.refresh_from_db()
    lot_b.refresh_from_db()
    assert (lot_a.qc_status, lot_a.is_suspected_counterfeit) == ("quarantined", True)
    assert (lot_b.qc_status, lot_b.is_suspected_counterfeit) == ("quarantined", False)
    held = {
        (b.lot.batch, b.location.site.code, b.location.kind): b.on_hand
        for b in StockBalance.objects.filter(lot__in=[lot_a, lot_b], on_hand__gt=0).select_related(
            "lot", "location__site"
        )
    }
    assert held == {
        ("AG-A", "WH-BY", "quarantine"): 50,
        ("AG-B", "WH-BY", "quarantine"): 50,
        ("AG-A", "FH-FCL", "recipient"): 30,
        ("AG-A", "EH-TY", "recipient"): 20,
    }

    rows = queries.recall_rows(case)
    assert [(r.batch, r.site_code, r.qty) for r in rows] == [("AG-A", "EH-TY", 20), ("AG-A", "FH-FCL", 30)]
    assert rows[1].contact_name == "赵医生"
    assert rows[1].contact_phone == "139****5678"
    assert queries.recall_rows(case, reveal=True)[1].contact_phone == "13912345678"

    note = Notification.objects.get(level="critical")
    assert "AG-A" in note.title
    assert note.link == f"/procurement/recalls/{case.pk}/"
    assert AuditEvent.objects.filter(verb="mark_lot_counterfeit", object_id=str(case.pk)).count() == 1
    assert AuditEvent.objects.filter(verb="quarantine_lot_everywhere").count() == 2
    assert AuditEvent.objects.filter(verb="block_order").count() == 1


def test_marking_again_changes_nothing(user, delivered):
    first = actions.mark_lot_counterfeit(delivered["a"], reason="假冒", actor=user("qc"))
    events = AuditEvent.objects.count()
    second = actions.mark_lot_counterfeit(delivered["a"], reason="再次", actor=user("qc"))
    assert first.pk == second.pk
    assert CounterfeitCase.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_marking_needs_a_reason_and_a_purchased_lot(user, delivered, items):
    with pytest.raises(InspectionInvalid):
        actions.mark_lot_counterfeit(delivered["a"], reason=" ", actor=user("qc"))
    assert not CounterfeitCase.objects.exists()
    delivered["supplier"].refresh_from_db()
    assert delivered["supplier"].status == "approved"
    from baogong.inventory.actions import ReceiptLineInput, receive_stock

    receive_stock(
        Site.objects.get(code="WH-BY"),
        [ReceiptLineInput(item=items["rice"], batch="GIFT", qty=1, unit_cost=0)],
        actor=user("commander"),
    )
    from baogong.inventory.models import Lot

    with pytest.raises(LotNotFromSupplier):
        actions.mark_lot_counterfeit(Lot.objects.get(batch="GIFT"), reason="x", actor=user("qc"))


def test_other_suppliers_lots_are_untouched(user, delivered, make_supplier, place_order):
    other = make_supplier(uscc=OTHER_USCC, name="另一家", categories=("protective", "ivd"))
    order = place_order(supplier=other, lines=[("antigen", 10, "480.00")])
    [receipt] = receive(user, order, "AG-OTHER")
    actions.inspect_lot(receipt.lot, good_inspection(receipt), decision="release", actor=user("qc"))
    actions.mark_lot_counterfeit(delivered["a"], reason="假冒", actor=user("qc"))
    receipt.lot.refresh_from_db()
    other.refresh_from_db()
    assert (receipt.lot.qc_status, other.status) == ("released", "approved")


def test_recall_page_excel_and_pdf(user, delivered, client_for):
    case = actions.mark_lot_counterfeit(delivered["a"], reason="假冒", actor=user("qc"))
    client = client_for("qc")
    page = client.get(f"/procurement/recalls/{case.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "富长路方舱医院" in text and "月浦恬逸养老院" in text and "139****5678" in text
    xlsx = client.get(f"/procurement/recalls/{case.pk}/?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    values = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert [(v[0], v[1], v[3]) for v in values] == [("AG-A", "EH-TY", 20), ("AG-A", "FH-FCL", 30)]
    pdf = client.get(f"/procurement/recalls/{case.pk}/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert client_for("warehouse").get(f"/procurement/recalls/{case.pk}/").status_code == 403


def test_commander_reveal_is_audited(user, delivered, client_for):
    case = actions.mark_lot_counterfeit(delivered["a"], reason="假冒", actor=user("qc"))
    page = client_for("commander").get(f"/procurement/recalls/{case.pk}/?reveal=1")
    assert "13912345678" in page.content.decode()
    assert AuditEvent.objects.filter(verb="reveal_recall_contacts").count() == 1
    page = client_for("qc").get(f"/procurement/recalls/{case.pk}/?reveal=1")
    assert "13912345678" not in page.content.decode()


def test_trace_backward_from_a_recipient_in_two_clicks(user, delivered, client_for):
    client = client_for("commander")
    hospital = Site.objects.get(code="FH-FCL")
    deliveries = client.get(f"/procurement/trace/sites/{hospital.pk}/").content.decode()
    lot_url = f"/procurement/trace/lots/{delivered['a'].pk}/"
    assert lot_url in deliveries
    trace = client.get(lot_url).content.decode()
    order = delivered["received"]
    assert order.number in trace
    assert delivered["supplier"].name in trace and delivered["supplier"].uscc in trace
    assert "procurement" in trace  # requested by
    assert "富长路方舱医院" in trace and "月浦恬逸养老院" in trace  # forward


def test_scorecard(user, delivered):
    actions.mark_lot_counterfeit(delivered["a"], reason="假冒", actor=user("qc"))
    [card] = queries.scorecards(type(delivered["supplier"]).objects.filter(pk=delivered["supplier"].pk))
    assert (card.receipts, card.on_time, card.on_time_rate) == (2, 2, 100)
    assert (card.inspections, card.rejected) == (2, 0)
    assert str(card.price_index) == "97.96"  # 480 against a reference of 490
    assert card.open_issues == 1 + 2  # one case, two lots in quarantine


def test_recalled_lots_are_read_for_the_day_they_were_marked(user, delivered):
    from django.utils import timezone

    from baogong.procurement.queries import lots_recalled
    from baogong.reports.daily import day_bounds

    actions.mark_lot_counterfeit(delivered["a"], reason="假冒", actor=user("qc"))
    today = timezone.localdate()
    recalled = lots_recalled(user("commander"), *day_bounds(today))
    assert delivered["a"].batch in recalled and recalled == sorted(set(recalled))
    assert lots_recalled(user("commander"), *day_bounds(today - dt.timedelta(days=1))) == []
