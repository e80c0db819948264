import datetime as dt

from baogong.orgs.models import Organisation, Site
from baogong.procurement.models import PurchaseOrder, Supplier

from .conftest import GOOD_USCC, WARN_USCC, receive


def test_pages_render_for_the_roles(client_for, place_order, user):
    order = place_order()
    [receipt] = receive(user, order, "VIEW-1")
    supplier = order.supplier
    for username in ("procurement", "qc", "commander", "auditor"):
        client = client_for(username)
        for url in [
            "/procurement/suppliers/",
            f"/procurement/suppliers/{supplier.pk}/",
            "/procurement/blacklist/",
            "/procurement/scorecard/",
            "/procurement/orders/",
            f"/procurement/orders/{order.pk}/",
            "/procurement/inspections/",
            "/procurement/recalls/",
            "/procurement/trace/?batch=VIEW",
            f"/procurement/trace/lots/{receipt.lot_id}/",
            f"/procurement/trace/sites/{Site.objects.get(code='CV-BY').pk}/",
        ]:
            assert client.get(url).status_code == 200, (username, url)
    assert client_for("qc").get(f"/procurement/inspections/receipt/{receipt.pk}/").status_code == 200
    assert client_for("auditor").get(f"/procurement/inspections/receipt/{receipt.pk}/").status_code == 403


def test_register_supplier_form_shows_the_warning(client_for):
    response = client_for("procurement").post(
        "/procurement/suppliers/new/",
        {
            "organisation": Organisation.objects.get(code="BYJT").pk,
            "name": "上海新晟",
            "uscc": WARN_USCC,
            "legal_representative": "李强",
            "categories": ["protective"],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "组织机构代码" in response.content.decode()
    assert Supplier.objects.get().status == "pending"


def test_order_form_refuses_a_gouging_price_and_names_why(client_for, make_supplier, items):
    supplier = make_supplier(uscc=GOOD_USCC)
    data = {
        "supplier": supplier.pk,
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-item": items["mask"].pk,
        "lines-0-qty": "10",
        "lines-0-unit_price": "150.00",
        "lines-0-delivery_date": (dt.date.today() + dt.timedelta(days=2)).isoformat(),
        "lines-0-warehouse": Site.objects.get(code="WH-BY").pk,
        "lines-0-price_reason": "",
    }
    response = client_for("procurement").post("/procurement/orders/new/", data)
    assert response.status_code == 400
    assert "100.00" in response.content.decode() and "50.00%" in response.content.decode()
    assert not PurchaseOrder.objects.exists()
    data["lines-0-price_reason"] = "现货紧缺"
    response = client_for("procurement").post("/procurement/orders/new/", data)
    assert response.status_code == 302
    assert PurchaseOrder.objects.get().lines.get().price_reason == "现货紧缺"


def test_inspection_form_rejects_a_fake_kit(client_for, place_order, user):
    order = place_order()
    [receipt] = receive(user, order, "FAKE-V")
    form = {
        "registration_number": "沪宝械备20200123",
        "registrant": "某公司",
        "batch": "FAKE-V",
        "has_inspection_report": "on",
        "packaging_ok": "on",
        "sample_result": "pass",
        "decision": "release",
        "reason": "",
    }
    client = client_for("qc")
    response = client.post(f"/procurement/inspections/receipt/{receipt.pk}/", form)
    assert response.status_code == 400
    assert "第一类" in response.content.decode()
    response = client.post(
        f"/procurement/inspections/receipt/{receipt.pk}/", form | {"decision": "reject", "reason": "一类备案号"}
    )
    assert response.status_code == 302
    receipt.lot.refresh_from_db()
    assert receipt.lot.qc_status == "rejected"
