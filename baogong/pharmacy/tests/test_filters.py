"""One filter per list (``pharmacy/filters.py``): the order page and the API answer the same
orders for the same query."""

from __future__ import annotations

import pytest

from baogong.pharmacy.models import Order

from .test_views import checkout_data, drugs  # noqa: F401 - the fixture


@pytest.fixture
def orders(drugs, youyi, client_for):  # noqa: F811 - the fixture imported above
    otc, _rx, _banned = drugs
    pharmacist = client_for("pharmacist")
    for _i in range(2):
        pharmacist.post("/pharmacy/phone-order/", {**checkout_data(youyi), "lines": f"{otc.item.code} 1"})
    first, second = Order.objects.order_by("pk")
    pharmacist.post(f"/pharmacy/orders/{first.pk}/approve/")
    first.refresh_from_db()
    return first, second


@pytest.mark.parametrize("query", ["status=ready", "status=placed", "channel=phone", "pharmacy=PH-02", "q=FIRST", ""])
def test_the_order_page_and_api_filter_alike(orders, client_for, api_for, query):
    first, second = orders
    query = query.replace("FIRST", first.number[-4:])
    page = client_for("pharmacist").get(f"/pharmacy/orders/?{query}")
    assert page.status_code == 200
    listed = {o.number for o in page.context["page"].object_list}
    answer = api_for("pharmacist").get(f"/api/v1/pharmacy/orders/?{query}")
    assert answer.status_code == 200
    assert listed == {o["number"] for o in answer.json()["results"]}
    assert listed <= {first.number, second.number}
    if query == "status=ready":
        assert listed == {first.number}
