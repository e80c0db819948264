"""A resident orders an OTC and a prescription drug on a phone; a pharmacist reviews, settles,
hands over to a courier who delivers with the resident's code."""

import datetime as dt

import pytest

from baogong.pharmacy.demo_data import load_pharmacy_demo
from baogong.pharmacy.models import Order, Settlement
from tests.e2e.conftest import login

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def empty_balances_after():
    """SQLite's flush deletes tables in no fixed order and the ledger's trigger refuses to delete
    moves while balances exist; emptying reservations and balances first lets the flush run."""
    yield
    from baogong.inventory.models import Reservation, StockBalance

    Reservation.objects.all().delete()
    StockBalance.objects.all().delete()


# serialized_rollback: earlier transactional tests empty the tables, data-migration rows (the default
# insurance policy, the category tree) included; this restores them first.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_resident_orders_on_a_phone_and_pharmacist_dispenses(
    base, live_server, new_page, tmp_path, settings, empty_balances_after
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    load_pharmacy_demo()
    rx_photo = tmp_path / "rx.png"
    rx_photo.write_bytes(PNG)

    phone = new_page(phone=True)
    phone.goto(live_server.url + "/pharmacy/order/")
    phone.select_option("#id_area", label="友谊路街道")
    phone.fill("#id_q", "布洛芬")
    phone.click("button:has-text('搜索')")
    phone.wait_for_selector(".drug-result")
    phone.click(".drug-result button:has-text('加入购物篮')")
    phone.fill("#id_q", "氨氯地平")
    phone.click("button:has-text('搜索')")
    phone.wait_for_selector("text=处方药须凭处方在药师指导下购买和使用")
    phone.click(".drug-result button:has-text('加入购物篮')")
    phone.click("#checkout")
    phone.fill("#id_resident_name", "王阿姨")
    phone.fill("#id_phone", "13900001111")
    phone.fill("#id_compound", "友谊新村")
    phone.fill("#id_building", "3号")
    phone.fill("#id_room", "402")
    phone.set_input_files("#id_prescription_photo", str(rx_photo))
    phone.check("#id_rx_warning_accepted")
    phone.click("button:has-text('提交订单')")
    phone.wait_for_selector(".order-number")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 391
    number = phone.inner_text(".order-number")
    handover = phone.inner_text(".handover-code")
    order = Order.objects.get(number=number)
    assert order.pharmacy.kind == "pharmacy" and order.status == "placed"

    staff = new_page()
    login(staff, live_server.url, "pharmacist")
    staff.goto(f"{live_server.url}/pharmacy/orders/{order.pk}/")
    staff.fill("#id_number", "BS-2022-0415-001")
    staff.fill("#id_issuer", "宝山区中心医院")
    staff.fill("#id_issued_on", dt.date.today().isoformat())
    staff.fill("#id_supply_days", "7")
    staff.click("#approve")
    staff.wait_for_selector("text=订单已审核并拣货")
    staff.select_option("#id_method", "insurance")
    staff.fill("#id_transaction_number", "YB20220415000777")
    staff.fill("#id_current_year", "20.00")
    staff.fill("#id_prior_years", "500.00")
    staff.click("#settle")
    staff.wait_for_selector("#settlement")
    staff.select_option("#id_courier", label="pharmacist")
    staff.click("#dispatch")
    staff.wait_for_selector("#deliver")
    staff.fill("#id_code", handover)
    staff.click("#deliver")
    staff.wait_for_selector("#order-status:has-text('已送达')")

    order.refresh_from_db()
    assert order.status == "delivered"
    settlement = Settlement.objects.get(order=order)
    assert settlement.personal_current + settlement.personal_prior + settlement.self_pay == settlement.total
    phone.goto(f"{live_server.url}/pharmacy/o/{number}/?code={order.access_code}")
    assert "已送达" in phone.inner_text("#order-status")
