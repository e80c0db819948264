"""Pages: the residents' phone page without login, the staff's review, settlement and delivery."""

import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from baogong.pharmacy import queries
from baogong.pharmacy.models import Order, Settlement

from .conftest import PNG, checkout_data, photo, today


@pytest.fixture
def drugs(make_drug, stock, fees):
    otc = make_drug("布洛芬缓释胶囊", sale_class="otc_b", insurance_class="A", unit_price="12.50")
    rx = make_drug("苯磺酸氨氯地平片", sale_class="rx", insurance_class="B", unit_price="33.33")
    banned = make_drug("华法林钠", sale_class="rx")
    stock("PH-02", otc, 10)
    stock("PH-02", rx, 10)
    return otc, rx, banned


def test_resident_orders_without_login_and_follows_the_order(drugs, youyi):
    otc, rx, banned = drugs
    resident = Client()
    page = resident.get(f"/pharmacy/order/?area={youyi.pk}&q=布洛芬")
    assert page.status_code == 200
    text = page.content.decode()
    assert "布洛芬缓释胶囊" in text and "PH-02" not in text and "第2药房" in text
    resident.post("/pharmacy/order/basket/", {"drug": otc.pk, "qty": 2})
    resident.post("/pharmacy/order/basket/", {"drug": rx.pk, "qty": 1})
    # a banned drug is refused with its reason and not added
    refused = resident.post("/pharmacy/order/basket/", {"drug": banned.pk, "qty": 1}, follow=True)
    assert "不得网络销售" in refused.content.decode()
    assert resident.session["pharmacy_basket"] == {str(otc.pk): 2, str(rx.pk): 1}
    # checkout without the prescription is refused with field errors
    missing = resident.post("/pharmacy/order/checkout/", checkout_data(youyi))
    assert missing.status_code == 400
    assert Order.objects.count() == 0
    response = resident.post(
        "/pharmacy/order/checkout/",
        checkout_data(youyi, rx_warning_accepted="on", prescription_photo=photo()),
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.pharmacy.code == "PH-02" and order.channel == "online" and order.taken_by is None
    placed = resident.get("/pharmacy/order/placed/").content.decode()
    assert order.number in placed and order.access_code in placed
    # the status page needs the code
    assert "待药师审核" not in Client().get(f"/pharmacy/o/{order.number}/").content.decode()
    assert Client().get(f"/pharmacy/o/{order.number}/?code=wrong").status_code == 404
    status = Client().get(f"/pharmacy/o/{order.number}/?code={order.access_code}")
    assert status.status_code == 200 and "待药师审核" in status.content.decode()


def test_oversized_or_wrong_type_photo_is_refused(drugs, youyi):
    _otc, rx, _banned = drugs
    resident = Client()
    resident.post("/pharmacy/order/basket/", {"drug": rx.pk, "qty": 1})
    big = photo(PNG + b"0" * (5 * 1024 * 1024), "big.png")
    response = resident.post(
        "/pharmacy/order/checkout/", checkout_data(youyi, rx_warning_accepted="on", prescription_photo=big)
    )
    assert response.status_code == 400 and "5 MB" in response.content.decode()
    gif = photo(b"GIF89a" + b"0" * 20, "x.png")
    response = resident.post(
        "/pharmacy/order/checkout/", checkout_data(youyi, rx_warning_accepted="on", prescription_photo=gif)
    )
    assert response.status_code == 400 and "JPEG" in response.content.decode()
    assert Order.objects.count() == 0


def test_staff_phone_order_then_review_settle_and_deliver(drugs, youyi, client_for, user):
    otc, _rx, _banned = drugs
    pharmacist = client_for("pharmacist")
    response = pharmacist.post(
        "/pharmacy/phone-order/",
        {**checkout_data(youyi), "lines": f"{otc.item.code} 3\n", "insurance_card": "123456789012"},
    )
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/pharmacy/orders/{order.pk}/"
    assert (order.channel, order.taken_by.username) == ("phone", "pharmacist")
    queue = pharmacist.get("/pharmacy/orders/?status=placed").content.decode()
    assert order.number in queue
    detail = pharmacist.get(f"/pharmacy/orders/{order.pk}/").content.decode()
    assert "138****5678" in detail and "13812345678" not in detail
    pharmacist.post(f"/pharmacy/orders/{order.pk}/approve/")
    pharmacist.post(
        f"/pharmacy/orders/{order.pk}/settle/",
        {"method": "insurance", "transaction_number": "YB1", "current_year": "10.00", "prior_years": "100.00"},
    )
    settlement = Settlement.objects.get(order=order)
    # 3 × 12.50 = 37.50 class A + fees 4.00: 10.00 current, 27.50 prior, 4.00 self-paid
    assert (settlement.personal_current, settlement.personal_prior, settlement.self_pay) == (
        Decimal("10.00"),
        Decimal("27.50"),
        Decimal("4.00"),
    )
    pharmacist.post(f"/pharmacy/orders/{order.pk}/dispatch/", {"courier": user("pharmacist").pk})
    wrong = pharmacist.post(f"/pharmacy/orders/{order.pk}/deliver/", {"code": "x"}, follow=True)
    assert "交接码不正确" in wrong.content.decode()
    order.refresh_from_db()
    pharmacist.post(f"/pharmacy/orders/{order.pk}/deliver/", {"code": order.handover_code})
    order.refresh_from_db()
    assert order.status == "delivered"
    # the day's reconciliation workbook agrees with the settlement
    xlsx = pharmacist.get(f"/pharmacy/reconciliation.xlsx?pharmacy=PH-02&date={today():%Y-%m-%d}")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == order.number and rows[1][3] == "YB1"
    assert [Decimal(str(v)) for v in rows[-1][4:10]] == [
        Decimal("41.50"),
        Decimal("37.50"),
        Decimal("10.00"),
        Decimal("27.50"),
        Decimal("0.00"),
        Decimal("4.00"),
    ]
    assert queries.amounts_by_payer(today(), today()) == {
        "total": Decimal("41.50"),
        "personal_current": Decimal("10.00"),
        "personal_prior": Decimal("27.50"),
        "pooled": Decimal("0.00"),
        "self_pay": Decimal("4.00"),
        "insurance": Decimal("37.50"),
    }
    assert list(queries.orders_served(today(), today())) == [order]
    report = pharmacist.get("/pharmacy/reports/").content.decode()
    assert "41.50" in report and "37.50" in report


def test_orders_are_scoped_and_other_users_get_404_or_403(drugs, youyi, client_for):
    otc, _rx, _banned = drugs
    client_for("pharmacist").post("/pharmacy/phone-order/", {**checkout_data(youyi), "lines": f"{otc.item.code} 1"})
    order = Order.objects.get()
    assert client_for("auditor").get(f"/pharmacy/orders/{order.pk}/").status_code == 200
    assert client_for("auditor").post(f"/pharmacy/orders/{order.pk}/approve/").status_code == 403
    assert client_for("warehouse").get(f"/pharmacy/orders/{order.pk}/").status_code == 403
    assert Client().get("/pharmacy/orders/").status_code == 302
    order.refresh_from_db()
    assert order.status == "placed"


def test_order_list_query_count_does_not_grow_with_orders(drugs, youyi, client_for, django_assert_max_num_queries):
    otc, _rx, _banned = drugs
    pharmacist = client_for("pharmacist")
    for _i in range(3):
        pharmacist.post("/pharmacy/phone-order/", {**checkout_data(youyi), "lines": f"{otc.item.code} 1"})
    assert Order.objects.count() == 3
    with django_assert_max_num_queries(12):
        assert pharmacist.get("/pharmacy/orders/").status_code == 200


def test_courier_outside_the_pharmacy_scope_delivers_only_orders_handed_to_them(drugs, youyi, client_for, user):
    otc, _rx, _banned = drugs
    pharmacist = client_for("pharmacist")
    pharmacist.post("/pharmacy/phone-order/", {**checkout_data(youyi), "lines": f"{otc.item.code} 1"})
    order = Order.objects.get()
    pharmacist.post(f"/pharmacy/orders/{order.pk}/approve/")
    driver = client_for("driver")
    # not yet handed to the driver: the order does not exist for them
    assert driver.post(f"/pharmacy/orders/{order.pk}/deliver/", {"code": order.handover_code}).status_code == 404
    pharmacist.post(f"/pharmacy/orders/{order.pk}/dispatch/", {"courier": user("driver").pk})
    listing = driver.get("/pharmacy/deliveries/").content.decode()
    assert order.number in listing and "138****5678" in listing
    response = driver.post(f"/pharmacy/orders/{order.pk}/deliver/", {"code": order.handover_code, "next": "mine"})
    assert response.status_code == 302 and response["Location"] == "/pharmacy/deliveries/"
    order.refresh_from_db()
    assert order.status == "delivered" and order.courier.username == "driver"


def test_orders_api_is_scoped_and_read_only(drugs, youyi, client_for, api_for):
    otc, _rx, _banned = drugs
    client_for("pharmacist").post("/pharmacy/phone-order/", {**checkout_data(youyi), "lines": f"{otc.item.code} 2"})
    order = Order.objects.get()
    body = api_for("pharmacist").get("/api/v1/pharmacy/orders/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["number"], row["pharmacy"], row["phone_masked"]) == (order.number, "PH-02", "138****5678")
    assert row["lines"] == [
        {"drug": otc.item.code, "name": str(otc), "qty": 2, "unit_price": "12.50", "insurance_class": "A"}
    ]
    assert api_for("warehouse").get(f"/api/v1/pharmacy/orders/{order.pk}/").status_code == 403
    assert api_for("auditor").get(f"/api/v1/pharmacy/orders/{order.pk}/").status_code == 200
    assert api_for("pharmacist").post("/api/v1/pharmacy/orders/", {}).status_code == 405


def test_pharmacist_of_another_pharmacy_gets_404(drugs, youyi, client_for, system):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from baogong.orgs.actions import grant_access
    from baogong.orgs.models import Site

    otc, _rx, _banned = drugs
    client_for("pharmacist").post("/pharmacy/phone-order/", {**checkout_data(youyi), "lines": f"{otc.item.code} 1"})
    order = Order.objects.get()
    assert order.pharmacy.code == "PH-02"
    other = get_user_model().objects.create_user("ph05", password="x")
    other.groups.add(Group.objects.get(name="pharmacist"))
    grant_access(other, site=Site.objects.get(code="PH-05"), actor=system)
    client = Client()
    client.force_login(other)
    assert client.get(f"/pharmacy/orders/{order.pk}/").status_code == 404
    assert client.post(f"/pharmacy/orders/{order.pk}/approve/").status_code == 404
    assert order.number not in client.get("/pharmacy/orders/").content.decode()
    order.refresh_from_db()
    assert order.status == "placed"


def test_shortage_list_for_procurement_as_excel(make_drug, stock, youyi, client_for):
    wanted = make_drug("连花清瘟胶囊")
    stock("PH-02", wanted, 1)
    resident = Client()
    resident.post("/pharmacy/order/basket/", {"drug": wanted.pk, "qty": 5})
    response = resident.post("/pharmacy/order/checkout/", checkout_data(youyi))
    assert response.status_code == 400 and "库存不足" in response.content.decode()
    assert Order.objects.count() == 0
    xlsx = client_for("pharmacist").get("/pharmacy/reports/?format=shortages")
    rows = list(load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[1] == (wanted.item.code, str(wanted), 5, 1)
